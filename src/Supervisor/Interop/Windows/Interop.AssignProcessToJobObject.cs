using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>AssignProcessToJobObject.</content>
internal static partial class Interop
{
    /// <content>AssignProcessToJobObject.</content>
    internal static partial class Kernel32
    {
        /// <summary>Places a process (and every child it starts later) in a job.</summary>
        /// <param name="job">The job.</param>
        /// <param name="process">The process, opened with <see cref="PROCESS_SET_QUOTA"/> and <see cref="PROCESS_TERMINATE"/>.</param>
        /// <returns><see langword="true"/> on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool AssignProcessToJobObject(SafeKernelHandle job, SafeKernelHandle process);
    }
}
