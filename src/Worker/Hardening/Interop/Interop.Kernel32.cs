using System.Runtime.InteropServices;

namespace SochDb.Isolated.Worker.Hardening;

internal static partial class Interop
{
    /// <summary>The few Windows calls the worker makes on itself.</summary>
    internal static partial class Kernel32
    {
        /// <summary><c>SEM_FAILCRITICALERRORS</c>: no critical-error message box.</summary>
        internal const uint SEM_FAILCRITICALERRORS = 0x0001;

        /// <summary><c>SEM_NOGPFAULTERRORBOX</c>: no Windows Error Reporting dialog on a crash.</summary>
        internal const uint SEM_NOGPFAULTERRORBOX = 0x0002;

        /// <summary><c>SEM_NOOPENFILEERRORBOX</c>: no message box when a file is not found.</summary>
        internal const uint SEM_NOOPENFILEERRORBOX = 0x8000;

        /// <summary><c>ProcessExtensionPointDisablePolicy</c> of <c>PROCESS_MITIGATION_POLICY</c>.</summary>
        internal const int ProcessExtensionPointDisablePolicy = 6;

        /// <summary>Sets the process's error mode and returns the previous one.</summary>
        /// <param name="mode">The <c>SEM_*</c> flags.</param>
        /// <returns>The previous mode.</returns>
        [LibraryImport(Libraries.Kernel32)]
        internal static partial uint SetErrorMode(uint mode);

        /// <summary>Turns on a mitigation policy for the calling process; it cannot be turned off again.</summary>
        /// <param name="policy">The policy.</param>
        /// <param name="buffer">The policy's flags (a 32-bit flags structure for the policies used here).</param>
        /// <param name="length">The size of <paramref name="buffer"/>.</param>
        /// <returns>Non-zero on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool SetProcessMitigationPolicy(int policy, in uint buffer, nuint length);
    }
}
