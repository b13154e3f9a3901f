using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>
/// The supervisor's libc calls for worker hardening. Named apart from the other helpers' <c>Interop</c> classes so
/// that each area owns its declarations.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class HardeningInterop
{
    /// <summary><c>CLOSE_RANGE_CLOEXEC</c> (Linux 5.11): mark the range close-on-exec instead of closing it.</summary>
    internal const uint CLOSE_RANGE_CLOEXEC = 1u << 2;

    /// <summary><c>F_SETFD</c>.</summary>
    internal const int F_SETFD = 2;

    /// <summary><c>F_GETFD</c>.</summary>
    internal const int F_GETFD = 1;

    /// <summary><c>FD_CLOEXEC</c>, the only descriptor flag, so setting it never clobbers another.</summary>
    internal const int FD_CLOEXEC = 1;

    /// <summary><c>EBADF</c>: the descriptor is not open (any more).</summary>
    internal const int EBADF = 9;

    /// <summary><c>ERANGE</c>: the buffer is too small.</summary>
    internal const int ERANGE = 34;

    private const string Libc = "libc";

    /// <summary>
    /// <c>close_range</c> (glibc 2.34, Linux 5.9; the CLOEXEC flag needs 5.11). Throws
    /// <see cref="EntryPointNotFoundException"/> on an older C library.
    /// </summary>
    /// <param name="first">The first descriptor.</param>
    /// <param name="last">The last descriptor (<see cref="uint.MaxValue"/> for all).</param>
    /// <param name="flags">The flags.</param>
    /// <returns>0 on success, -1 with errno set.</returns>
    [LibraryImport(Libc, EntryPoint = "close_range", SetLastError = true)]
    internal static partial int CloseRange(uint first, uint last, uint flags);

    /// <summary>
    /// <c>fcntl</c> with an integer argument. Declared variadic in C; the argument travels in an integer register on
    /// every Linux ABI .NET supports, so a fixed three-argument import is exact.
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="command">The command.</param>
    /// <param name="argument">The argument.</param>
    /// <returns>The command's result, or -1 with errno set.</returns>
    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);

    /// <summary><c>getpwnam_r</c>: looks a user up through NSS (files, LDAP, …), thread-safely.</summary>
    /// <param name="name">The user name.</param>
    /// <param name="entry">The entry, filled on success.</param>
    /// <param name="buffer">Storage for the entry's strings.</param>
    /// <param name="length">The buffer's length.</param>
    /// <param name="result">A pointer to <paramref name="entry"/> when found, 0 when not.</param>
    /// <returns>0 on success (found or not), an error number otherwise.</returns>
    [LibraryImport(Libc, EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetPasswordEntry(string name, out Passwd entry, [Out] byte[] buffer, nuint length, out nint result);

    /// <summary><c>struct passwd</c> on Linux (glibc and musl agree).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Passwd
    {
        /// <summary>The user name.</summary>
        public nint Name;

        /// <summary>The password field.</summary>
        public nint Password;

        /// <summary>The user id.</summary>
        public uint UserId;

        /// <summary>The primary group id.</summary>
        public uint GroupId;

        /// <summary>The comment field.</summary>
        public nint Gecos;

        /// <summary>The home directory.</summary>
        public nint Directory;

        /// <summary>The login shell.</summary>
        public nint Shell;
    }
}
