using System.Runtime.InteropServices;

namespace SochDb.Isolated.Worker.Hardening;

internal static partial class Interop
{
    /// <summary>libc resource-limit calls.</summary>
    internal static partial class Libc
    {
        /// <summary><c>RLIMIT_CORE</c> on every architecture .NET supports on Linux (generic and x86 numbering agree).</summary>
        internal const int RLIMIT_CORE = 4;

        /// <summary><c>RLIMIT_NOFILE</c> on every architecture .NET supports on Linux.</summary>
        internal const int RLIMIT_NOFILE = 7;

        /// <summary><c>RLIM_INFINITY</c>: all bits set in an <c>rlim_t</c>, which is as wide as a pointer.</summary>
        internal static readonly nuint RLIM_INFINITY = nuint.MaxValue;

        /// <summary>Reads a resource limit.</summary>
        /// <param name="resource">The resource (<see cref="RLIMIT_CORE"/>, <see cref="RLIMIT_NOFILE"/>).</param>
        /// <param name="limit">The soft and hard limits.</param>
        /// <returns>0 on success, -1 with errno set.</returns>
        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int getrlimit(int resource, out RLimit limit);

        /// <summary>Sets a resource limit for the whole process.</summary>
        /// <param name="resource">The resource.</param>
        /// <param name="limit">The soft and hard limits.</param>
        /// <returns>0 on success, -1 with errno set.</returns>
        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int setrlimit(int resource, in RLimit limit);

        /// <summary><c>struct rlimit</c>: two <c>rlim_t</c>, which is <c>unsigned long</c> on Linux.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct RLimit
        {
            /// <summary>The soft limit.</summary>
            public nuint Current;

            /// <summary>The hard limit.</summary>
            public nuint Maximum;
        }
    }
}
