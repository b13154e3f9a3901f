using System.Runtime.InteropServices;

namespace SochDb.Isolated.Worker.Hardening;

internal static partial class Interop
{
    /// <summary>libc credential calls. glibc and musl apply each to every thread of the process, not only the caller.</summary>
    internal static partial class Libc
    {
        /// <summary>Sets the real, effective and saved user ids.</summary>
        /// <param name="ruid">The real user id.</param>
        /// <param name="euid">The effective user id.</param>
        /// <param name="suid">The saved user id.</param>
        /// <returns>0 on success, -1 with errno set.</returns>
        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int setresuid(uint ruid, uint euid, uint suid);

        /// <summary>Sets the real, effective and saved group ids.</summary>
        /// <param name="rgid">The real group id.</param>
        /// <param name="egid">The effective group id.</param>
        /// <param name="sgid">The saved group id.</param>
        /// <returns>0 on success, -1 with errno set.</returns>
        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int setresgid(uint rgid, uint egid, uint sgid);

        /// <summary>Sets the supplementary groups; a size of 0 with a null list clears them.</summary>
        /// <param name="size">The number of groups.</param>
        /// <param name="list">The groups, or null.</param>
        /// <returns>0 on success, -1 with errno set.</returns>
        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int setgroups(nuint size, nint list);
    }
}
