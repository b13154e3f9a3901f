namespace SochDb.Isolated.Worker.Hardening;

/// <summary>The worker's direct native calls, one concern per file, named as in the native headers.</summary>
internal static partial class Interop
{
    /// <summary>The native libraries the worker calls into directly.</summary>
    internal static class Libraries
    {
        /// <summary>The C library; the runtime resolves the bare name to the platform's libc.</summary>
        internal const string Libc = "libc";

        /// <summary>The Windows kernel base library.</summary>
        internal const string Kernel32 = "kernel32.dll";
    }
}
