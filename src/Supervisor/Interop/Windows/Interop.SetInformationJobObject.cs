using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>SetInformationJobObject and the structures it takes.</content>
internal static partial class Interop
{
    /// <content>SetInformationJobObject.</content>
    internal static partial class Kernel32
    {
        /// <summary>JobObjectAssociateCompletionPortInformation.</summary>
        internal const int JobObjectAssociateCompletionPortInformation = 7;

        /// <summary>JobObjectExtendedLimitInformation.</summary>
        internal const int JobObjectExtendedLimitInformation = 9;

        /// <summary>JobObjectCpuRateControlInformation.</summary>
        internal const int JobObjectCpuRateControlInformation = 15;

        /// <summary>Limit flag: at most <c>ActiveProcessLimit</c> processes at once.</summary>
        internal const uint JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x00000008;

        /// <summary>Limit flag: the committed memory of each process is limited.</summary>
        internal const uint JOB_OBJECT_LIMIT_PROCESS_MEMORY = 0x00000100;

        /// <summary>Limit flag: the committed memory of the whole job is limited.</summary>
        internal const uint JOB_OBJECT_LIMIT_JOB_MEMORY = 0x00000200;

        /// <summary>Limit flag: an unhandled exception ends the process instead of waiting on error reporting.</summary>
        internal const uint JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x00000400;

        /// <summary>Limit flag: closing the last handle to the job kills every process in it.</summary>
        internal const uint JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000;

        /// <summary>CPU rate control is on.</summary>
        internal const uint JOB_OBJECT_CPU_RATE_CONTROL_ENABLE = 0x1;

        /// <summary>The CPU rate is a hard cap, enforced even when the machine is idle.</summary>
        internal const uint JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP = 0x4;

        /// <summary>Sets the extended limits of a job.</summary>
        /// <param name="job">The job.</param>
        /// <param name="infoClass"><see cref="JobObjectExtendedLimitInformation"/>.</param>
        /// <param name="info">The limits.</param>
        /// <param name="length">The size of <paramref name="info"/>.</param>
        /// <returns><see langword="true"/> on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool SetInformationJobObject(SafeKernelHandle job, int infoClass, ref JOBOBJECT_EXTENDED_LIMIT_INFORMATION info, uint length);

        /// <summary>Sets the CPU rate control of a job.</summary>
        /// <param name="job">The job.</param>
        /// <param name="infoClass"><see cref="JobObjectCpuRateControlInformation"/>.</param>
        /// <param name="info">The rate.</param>
        /// <param name="length">The size of <paramref name="info"/>.</param>
        /// <returns><see langword="true"/> on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool SetInformationJobObject(SafeKernelHandle job, int infoClass, ref JOBOBJECT_CPU_RATE_CONTROL_INFORMATION info, uint length);

        /// <summary>Associates a job with an I/O completion port that receives its notifications.</summary>
        /// <param name="job">The job.</param>
        /// <param name="infoClass"><see cref="JobObjectAssociateCompletionPortInformation"/>.</param>
        /// <param name="info">The port and key.</param>
        /// <param name="length">The size of <paramref name="info"/>.</param>
        /// <returns><see langword="true"/> on success.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool SetInformationJobObject(SafeKernelHandle job, int infoClass, ref JOBOBJECT_ASSOCIATE_COMPLETION_PORT info, uint length);

        /// <summary>JOBOBJECT_BASIC_LIMIT_INFORMATION.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct JOBOBJECT_BASIC_LIMIT_INFORMATION
        {
            /// <summary>Per-process user-mode time limit, in 100 ns ticks.</summary>
            public long PerProcessUserTimeLimit;

            /// <summary>Per-job user-mode time limit, in 100 ns ticks.</summary>
            public long PerJobUserTimeLimit;

            /// <summary>The JOB_OBJECT_LIMIT_* flags in force.</summary>
            public uint LimitFlags;

            /// <summary>Minimum working set size.</summary>
            public nuint MinimumWorkingSetSize;

            /// <summary>Maximum working set size.</summary>
            public nuint MaximumWorkingSetSize;

            /// <summary>Most processes at once, with <see cref="JOB_OBJECT_LIMIT_ACTIVE_PROCESS"/>.</summary>
            public uint ActiveProcessLimit;

            /// <summary>Processor affinity.</summary>
            public nuint Affinity;

            /// <summary>Priority class.</summary>
            public uint PriorityClass;

            /// <summary>Scheduling class.</summary>
            public uint SchedulingClass;
        }

        /// <summary>IO_COUNTERS.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct IO_COUNTERS
        {
            /// <summary>Read operations.</summary>
            public ulong ReadOperationCount;

            /// <summary>Write operations.</summary>
            public ulong WriteOperationCount;

            /// <summary>Other operations.</summary>
            public ulong OtherOperationCount;

            /// <summary>Bytes read.</summary>
            public ulong ReadTransferCount;

            /// <summary>Bytes written.</summary>
            public ulong WriteTransferCount;

            /// <summary>Other bytes transferred.</summary>
            public ulong OtherTransferCount;
        }

        /// <summary>JOBOBJECT_EXTENDED_LIMIT_INFORMATION.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct JOBOBJECT_EXTENDED_LIMIT_INFORMATION
        {
            /// <summary>The basic limits.</summary>
            public JOBOBJECT_BASIC_LIMIT_INFORMATION BasicLimitInformation;

            /// <summary>I/O counters (reserved when setting).</summary>
            public IO_COUNTERS IoInfo;

            /// <summary>Committed memory per process, with <see cref="JOB_OBJECT_LIMIT_PROCESS_MEMORY"/>.</summary>
            public nuint ProcessMemoryLimit;

            /// <summary>Committed memory of the job, with <see cref="JOB_OBJECT_LIMIT_JOB_MEMORY"/>.</summary>
            public nuint JobMemoryLimit;

            /// <summary>The most memory any one process of the job has committed.</summary>
            public nuint PeakProcessMemoryUsed;

            /// <summary>The most memory the job has committed.</summary>
            public nuint PeakJobMemoryUsed;
        }

        /// <summary>JOBOBJECT_CPU_RATE_CONTROL_INFORMATION, with the <c>CpuRate</c> member of its union.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct JOBOBJECT_CPU_RATE_CONTROL_INFORMATION
        {
            /// <summary>The JOB_OBJECT_CPU_RATE_CONTROL_* flags.</summary>
            public uint ControlFlags;

            /// <summary>The share of all processors' cycles, in 1/100 of a percent (1 to 10000).</summary>
            public uint CpuRate;
        }

        /// <summary>JOBOBJECT_ASSOCIATE_COMPLETION_PORT.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct JOBOBJECT_ASSOCIATE_COMPLETION_PORT
        {
            /// <summary>The key delivered with every notification of the job.</summary>
            public IntPtr CompletionKey;

            /// <summary>The port (a raw handle the caller keeps alive for the call).</summary>
            public IntPtr CompletionPort;
        }
    }
}
