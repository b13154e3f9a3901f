using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>TerminateJobObject.</content>
internal static partial class Interop
{
    /// <content>TerminateJobObject.</content>
    internal static partial class Kernel32
    {
        /// <summary>Ends every process in a job at once.</summary>
        /// <param name="job">The job.</param>
        /// <param name="exitCode">The exit code the processes get.</param>
        /// <returns><see langword="true"/> on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool TerminateJobObject(SafeKernelHandle job, uint exitCode);
    }
}
