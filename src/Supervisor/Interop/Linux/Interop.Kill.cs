using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace SochDb.Isolated.Supervisor;

/// <content>kill(2).</content>
internal static partial class Interop
{
    /// <summary>The C library.</summary>
    [SupportedOSPlatform("linux")]
    internal static partial class Libc
    {
        /// <summary>The signal that cannot be caught, blocked or ignored.</summary>
        internal const int SIGKILL = 9;

        /// <summary>The error: no such process.</summary>
        internal const int ESRCH = 3;

        /// <summary>The error: the process exists but may not be signalled by this one.</summary>
        internal const int EPERM = 1;

        /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; signal 0 only checks that the process exists.</summary>
        /// <param name="pid">The process id.</param>
        /// <param name="signal">The signal number.</param>
        /// <returns>0 on success, -1 with the error in <see cref="Marshal.GetLastPInvokeError"/>.</returns>
        [LibraryImport(Libraries.Libc, EntryPoint = "kill", SetLastError = true)]
        internal static partial int Kill(int pid, int signal);
    }
}
