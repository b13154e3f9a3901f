using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>CreateJobObjectW.</content>
internal static partial class Interop
{
    /// <content>CreateJobObjectW.</content>
    internal static partial class Kernel32
    {
        /// <summary>Creates a job object.</summary>
        /// <param name="jobAttributes">Security attributes; <see cref="IntPtr.Zero"/> for the default (not inheritable).</param>
        /// <param name="name">The name; <see cref="IntPtr.Zero"/> for an anonymous job no other process can open by name.</param>
        /// <returns>The job handle, invalid on failure.</returns>
        [LibraryImport(Libraries.Kernel32, EntryPoint = "CreateJobObjectW", SetLastError = true)]
        internal static partial SafeKernelHandle CreateJobObject(IntPtr jobAttributes, IntPtr name);
    }
}
