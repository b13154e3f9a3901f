namespace SochDb.Isolated.Supervisor;

/// <summary>The native functions the supervisor calls directly, one file per function, named as in the native headers.</summary>
internal static partial class Interop
{
    /// <summary>The native libraries those functions live in.</summary>
    internal static class Libraries
    {
        /// <summary>The C library (resolved by the runtime on glibc and musl alike).</summary>
        internal const string Libc = "libc";

        /// <summary>The Windows kernel's user-mode API.</summary>
        internal const string Kernel32 = "kernel32.dll";
    }
}
