using System.Runtime.InteropServices;

namespace SochDb.Isolated.Worker.Hardening;

internal static partial class Interop
{
    /// <summary>libc process-control calls.</summary>
    internal static partial class Libc
    {
        /// <summary><c>PR_GET_DUMPABLE</c>.</summary>
        internal const int PR_GET_DUMPABLE = 3;

        /// <summary><c>PR_SET_DUMPABLE</c>.</summary>
        internal const int PR_SET_DUMPABLE = 4;

        /// <summary>
        /// <c>prctl</c>. Declared variadic in C; every argument is passed in an integer register on the Linux ABIs
        /// .NET runs on (x64 System V, AAPCS64, RISC-V, s390x, ppc64le), so a fixed five-argument import is exact.
        /// </summary>
        /// <param name="option">The operation.</param>
        /// <param name="arg2">The second argument.</param>
        /// <param name="arg3">The third argument.</param>
        /// <param name="arg4">The fourth argument.</param>
        /// <param name="arg5">The fifth argument.</param>
        /// <returns>The operation's result, or -1 with errno set.</returns>
        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
    }
}
