using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>OpenProcess.</content>
internal static partial class Interop
{
    /// <content>OpenProcess.</content>
    internal static partial class Kernel32
    {
        /// <summary>Access right: end the process.</summary>
        internal const uint PROCESS_TERMINATE = 0x0001;

        /// <summary>Access right: set quotas, which assigning the process to a job needs.</summary>
        internal const uint PROCESS_SET_QUOTA = 0x0100;

        /// <summary>Opens a process by id.</summary>
        /// <param name="desiredAccess">The PROCESS_* access rights.</param>
        /// <param name="inheritHandle">Whether child processes inherit the handle.</param>
        /// <param name="processId">The process id.</param>
        /// <returns>The process handle, invalid on failure.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        internal static partial SafeKernelHandle OpenProcess(uint desiredAccess, [MarshalAs(UnmanagedType.Bool)] bool inheritHandle, uint processId);
    }
}
