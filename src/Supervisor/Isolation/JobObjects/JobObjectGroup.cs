using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// One worker's Windows job object: kill on close, a job memory limit, an active-process limit, a hard CPU cap, and
/// a completion port that receives the job's memory-limit notifications.
/// </summary>
/// <remarks>
/// <para>
/// Windows does not kill a job that reaches its memory limit: the allocation that would pass it fails, and the
/// job posts <c>JOB_OBJECT_MSG_JOB_MEMORY_LIMIT</c>. Those notifications are what <see cref="Read"/> reports as
/// OOM kills; they are drained from the port on each read (no thread waits on it). A worker whose allocation
/// fails dies of it (the .NET runtime fails fast on out-of-memory), or Wasmtime traps the plugin's growth.
/// </para>
/// <para>
/// The active-process limit counts processes, not threads (Windows has no per-job thread limit). Every handle is
/// a <see cref="SafeKernelHandle"/>; closing the job handle kills whatever is still in the job. Thread-safe.
/// </para>
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed class JobObjectGroup : IWorkerGroup
{
    /// <summary>The exit code of processes ended by <see cref="Kill"/>: 128 + SIGKILL, as a signal kill reads on Unix.</summary>
    internal const uint KilledExitCode = 137;

    private readonly SafeKernelHandle job;
    private readonly SafeKernelHandle port;
    private readonly ILogger logger;
    private readonly Action<JobObjectGroup> removed;
    private readonly Lock gate = new();
    private WorkerLimits limits;
    private long memoryLimitHits;
    private int disposed;

    /// <summary>Initializes a new instance of the <see cref="JobObjectGroup"/> class; it owns both handles.</summary>
    private JobObjectGroup(string name, SafeKernelHandle job, SafeKernelHandle port, WorkerLimits limits, ILogger logger, Action<JobObjectGroup> removed)
    {
        Name = "job:" + name;
        this.job = job;
        this.port = port;
        this.limits = limits;
        this.logger = logger;
        this.removed = removed;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Creates the job and sets its limits.</summary>
    /// <param name="name">The worker's name.</param>
    /// <param name="limits">The limits.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="removed">Called once the group is disposed.</param>
    /// <returns>The group.</returns>
    /// <exception cref="IsolationException">A job call failed; no handle is left open.</exception>
    public static JobObjectGroup Create(string name, WorkerLimits limits, ILogger logger, Action<JobObjectGroup> removed)
    {
        var job = Interop.Kernel32.CreateJobObject(IntPtr.Zero, IntPtr.Zero);
        if (job.IsInvalid)
        {
            var error = Marshal.GetLastPInvokeError();
            job.Dispose();
            throw Failure("CreateJobObject", error);
        }

        SafeKernelHandle? port = null;
        try
        {
            ApplyLimits(job, limits);

            port = Interop.Kernel32.CreateIoCompletionPort(Interop.Kernel32.InvalidHandleValue, IntPtr.Zero, 0, 1);
            Check(!port.IsInvalid, "CreateIoCompletionPort");
            Associate(job, port);
        }
        catch
        {
            port?.Dispose();
            job.Dispose();
            throw;
        }

        IsolationLog.GroupCreated(logger, "job:" + name, limits.MemoryBytes, limits.MaxProcesses, limits.CpuCores);
        return new JobObjectGroup(name, job, port, limits, logger, removed);
    }

    /// <summary>Converts cores to a job CPU rate: the share of all processors, in 1/100 of a percent (1 to 10000).</summary>
    /// <param name="cores">The cores.</param>
    /// <param name="processorCount">The machine's logical processors.</param>
    /// <returns>The rate.</returns>
    internal static uint CpuRate(double cores, int processorCount)
        => (uint)Math.Clamp(Math.Round(cores / Math.Max(1, processorCount) * 10_000), 1, 10_000);

    /// <inheritdoc/>
    public void Add(int pid)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        using var process = Interop.Kernel32.OpenProcess(Interop.Kernel32.PROCESS_SET_QUOTA | Interop.Kernel32.PROCESS_TERMINATE, inheritHandle: false, (uint)pid);
        if (process.IsInvalid)
        {
            throw Failure($"OpenProcess({pid})", Marshal.GetLastPInvokeError());
        }

        if (!Interop.Kernel32.AssignProcessToJobObject(job, process))
        {
            throw Failure($"AssignProcessToJobObject({pid})", Marshal.GetLastPInvokeError());
        }
    }

    /// <inheritdoc/>
    public void SetLimits(WorkerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            ApplyLimits(job, limits);
            this.limits = limits;
        }

        IsolationLog.GroupLimitsChanged(logger, Name, limits.MemoryBytes, limits.MaxProcesses, limits.CpuCores);
    }

    /// <inheritdoc/>
    public void Kill()
    {
        if (job.IsClosed)
        {
            return;
        }

        if (!Interop.Kernel32.TerminateJobObject(job, KilledExitCode))
        {
            IsolationLog.KillFailed(logger, Name, new Win32Exception(Marshal.GetLastPInvokeError()).Message);
        }
    }

    /// <inheritdoc/>
    public WorkerGroupSnapshot Read()
    {
        lock (gate)
        {
            if (job.IsClosed)
            {
                return new WorkerGroupSnapshot(null, null, memoryLimitHits, limits.MemoryBytes);
            }

            DrainNotifications();
            long? peak = null;
            var extended = default(Interop.Kernel32.JOBOBJECT_EXTENDED_LIMIT_INFORMATION);
            if (Interop.Kernel32.QueryInformationJobObject(job, Interop.Kernel32.JobObjectExtendedLimitInformation, ref extended, (uint)Marshal.SizeOf<Interop.Kernel32.JOBOBJECT_EXTENDED_LIMIT_INFORMATION>(), IntPtr.Zero))
            {
                peak = (long)extended.PeakJobMemoryUsed;
            }

            // Current use needs Windows 10's JobObjectMemoryUsageInformation; older systems report none.
            long? current = null;
            var usage = default(Interop.Kernel32.JOBOBJECT_MEMORY_USAGE_INFORMATION);
            if (Interop.Kernel32.QueryInformationJobObject(job, Interop.Kernel32.JobObjectMemoryUsageInformation, ref usage, (uint)Marshal.SizeOf<Interop.Kernel32.JOBOBJECT_MEMORY_USAGE_INFORMATION>(), IntPtr.Zero))
            {
                current = (long)usage.JobMemory;
            }

            return new WorkerGroupSnapshot(current, peak, memoryLimitHits, limits.MemoryBytes);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>Kills what is in the job and closes its handles; what <see cref="DisposeAsync"/> does, synchronously.</summary>
    internal void Close()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        lock (gate)
        {
            Kill();

            // Kill on close ends anything TerminateJobObject missed; the port goes with it.
            job.Dispose();
            port.Dispose();
        }

        IsolationLog.GroupRemoved(logger, Name);
        removed(this);
    }

    /// <summary>Sets the job's limits: kill on close, memory, active processes, and the hard CPU cap. Called again to change them.</summary>
    private static void ApplyLimits(SafeKernelHandle job, WorkerLimits limits)
    {
        var extended = new Interop.Kernel32.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
        {
            BasicLimitInformation = new Interop.Kernel32.JOBOBJECT_BASIC_LIMIT_INFORMATION
            {
                LimitFlags = Interop.Kernel32.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
                    | Interop.Kernel32.JOB_OBJECT_LIMIT_JOB_MEMORY
                    | Interop.Kernel32.JOB_OBJECT_LIMIT_ACTIVE_PROCESS
                    | Interop.Kernel32.JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION,
                ActiveProcessLimit = (uint)limits.MaxProcesses,
            },
            JobMemoryLimit = (nuint)limits.MemoryBytes,
        };
        Check(
            Interop.Kernel32.SetInformationJobObject(job, Interop.Kernel32.JobObjectExtendedLimitInformation, ref extended, (uint)Marshal.SizeOf<Interop.Kernel32.JOBOBJECT_EXTENDED_LIMIT_INFORMATION>()),
            "SetInformationJobObject(ExtendedLimitInformation)");

        var rate = new Interop.Kernel32.JOBOBJECT_CPU_RATE_CONTROL_INFORMATION
        {
            ControlFlags = Interop.Kernel32.JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | Interop.Kernel32.JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP,
            CpuRate = CpuRate(limits.CpuCores, Environment.ProcessorCount),
        };
        Check(
            Interop.Kernel32.SetInformationJobObject(job, Interop.Kernel32.JobObjectCpuRateControlInformation, ref rate, (uint)Marshal.SizeOf<Interop.Kernel32.JOBOBJECT_CPU_RATE_CONTROL_INFORMATION>()),
            "SetInformationJobObject(CpuRateControlInformation)");
    }

    /// <summary>Makes the port receive the job's notifications.</summary>
    private static void Associate(SafeKernelHandle job, SafeKernelHandle port)
    {
        var added = false;
        try
        {
            port.DangerousAddRef(ref added);
            var association = new Interop.Kernel32.JOBOBJECT_ASSOCIATE_COMPLETION_PORT
            {
                CompletionKey = IntPtr.Zero,
                CompletionPort = port.DangerousGetHandle(),
            };
            Check(
                Interop.Kernel32.SetInformationJobObject(job, Interop.Kernel32.JobObjectAssociateCompletionPortInformation, ref association, (uint)Marshal.SizeOf<Interop.Kernel32.JOBOBJECT_ASSOCIATE_COMPLETION_PORT>()),
                "SetInformationJobObject(AssociateCompletionPortInformation)");
        }
        finally
        {
            if (added)
            {
                port.DangerousRelease();
            }
        }
    }

    /// <summary>Throws the last Win32 error of a failed call.</summary>
    private static void Check(bool succeeded, string call)
    {
        if (!succeeded)
        {
            throw Failure(call, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Wraps a Win32 error of a named call.</summary>
    private static IsolationException Failure(string call, int error)
    {
        var inner = new Win32Exception(error);
        return new IsolationException($"{call} failed: {inner.Message}", inner);
    }

    /// <summary>Counts the memory-limit notifications queued since the last read, without waiting.</summary>
    private void DrainNotifications()
    {
        while (Interop.Kernel32.GetQueuedCompletionStatus(port, out var message, out _, out _, 0))
        {
            if (message is Interop.Kernel32.JOB_OBJECT_MSG_JOB_MEMORY_LIMIT or Interop.Kernel32.JOB_OBJECT_MSG_PROCESS_MEMORY_LIMIT)
            {
                memoryLimitHits++;
            }
        }
    }
}
