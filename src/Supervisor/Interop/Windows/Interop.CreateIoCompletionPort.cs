using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>CreateIoCompletionPort.</content>
internal static partial class Interop
{
    /// <content>CreateIoCompletionPort.</content>
    internal static partial class Kernel32
    {
        /// <summary>INVALID_HANDLE_VALUE: with it, CreateIoCompletionPort creates a port bound to no file.</summary>
        internal static readonly IntPtr InvalidHandleValue = new(-1);

        /// <summary>Creates an I/O completion port.</summary>
        /// <param name="fileHandle"><see cref="InvalidHandleValue"/> for a port bound to no file.</param>
        /// <param name="existingCompletionPort"><see cref="IntPtr.Zero"/> for a new port.</param>
        /// <param name="completionKey">Unused for a new port; 0.</param>
        /// <param name="numberOfConcurrentThreads">The threads that may process the port at once.</param>
        /// <returns>The port handle, invalid on failure.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        internal static partial SafeKernelHandle CreateIoCompletionPort(IntPtr fileHandle, IntPtr existingCompletionPort, nuint completionKey, uint numberOfConcurrentThreads);
    }
}
