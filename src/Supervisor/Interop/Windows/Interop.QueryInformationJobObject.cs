using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>QueryInformationJobObject.</content>
internal static partial class Interop
{
    /// <content>QueryInformationJobObject.</content>
    internal static partial class Kernel32
    {
        /// <summary>JobObjectMemoryUsageInformation (Windows 10 and later; not in the SDK headers' documentation).</summary>
        internal const int JobObjectMemoryUsageInformation = 28;

        /// <summary>Reads the extended limits of a job, including its peak committed memory.</summary>
        /// <param name="job">The job.</param>
        /// <param name="infoClass"><see cref="JobObjectExtendedLimitInformation"/>.</param>
        /// <param name="info">The limits and peaks.</param>
        /// <param name="length">The size of <paramref name="info"/>.</param>
        /// <param name="returnLength">Unused; <see cref="IntPtr.Zero"/>.</param>
        /// <returns><see langword="true"/> on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool QueryInformationJobObject(SafeKernelHandle job, int infoClass, ref JOBOBJECT_EXTENDED_LIMIT_INFORMATION info, uint length, IntPtr returnLength);

        /// <summary>Reads the current and peak committed memory of a job.</summary>
        /// <param name="job">The job.</param>
        /// <param name="infoClass"><see cref="JobObjectMemoryUsageInformation"/>.</param>
        /// <param name="info">The memory use.</param>
        /// <param name="length">The size of <paramref name="info"/>.</param>
        /// <param name="returnLength">Unused; <see cref="IntPtr.Zero"/>.</param>
        /// <returns><see langword="true"/> on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool QueryInformationJobObject(SafeKernelHandle job, int infoClass, ref JOBOBJECT_MEMORY_USAGE_INFORMATION info, uint length, IntPtr returnLength);

        /// <summary>JOBOBJECT_MEMORY_USAGE_INFORMATION.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct JOBOBJECT_MEMORY_USAGE_INFORMATION
        {
            /// <summary>The memory the job has committed now.</summary>
            public ulong JobMemory;

            /// <summary>The most memory the job has committed.</summary>
            public ulong PeakJobMemoryUsed;
        }
    }
}
