using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>CloseHandle.</content>
internal static partial class Interop
{
    /// <content>CloseHandle.</content>
    internal static partial class Kernel32
    {
        /// <summary>Closes a kernel object handle.</summary>
        /// <param name="handle">The handle.</param>
        /// <returns><see langword="true"/> on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool CloseHandle(IntPtr handle);
    }
}
