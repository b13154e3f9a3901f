using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.Tests.Isolation;

/// <summary>Processes that exist only as numbers: the tests spawn, kill and size them; killing one removes it from every fake cgroup, as the kernel does on exit.</summary>
internal sealed class FakeProcesses : IProcessControl
{
    private readonly Lock gate = new();
    private readonly HashSet<int> alive = [];
    private readonly Dictionary<int, long> resident = [];
    private readonly List<int> killed = [];
    private int next = 20_000;

    public FakeProcesses(int currentProcessId = 4_000)
    {
        CurrentProcessId = currentProcessId;
        alive.Add(currentProcessId);
    }

    /// <summary>Gets or sets what happens when a process dies (the fake cgroupfs drops it from <c>cgroup.procs</c>).</summary>
    public Action<int>? Exited { get; set; }

    /// <summary>Gets or sets what the test observes just before a process is killed.</summary>
    public Action<int>? Killing { get; set; }

    public int CurrentProcessId { get; }

    public IReadOnlyList<int> Killed
    {
        get
        {
            lock (gate)
            {
                return [.. killed];
            }
        }
    }

    public int Spawn(long residentBytes = 10 << 20)
    {
        lock (gate)
        {
            var pid = next++;
            alive.Add(pid);
            resident[pid] = residentBytes;
            return pid;
        }
    }

    public void MarkAlive(int pid)
    {
        lock (gate)
        {
            alive.Add(pid);
        }
    }

    public void SetResident(int pid, long bytes)
    {
        lock (gate)
        {
            resident[pid] = bytes;
        }
    }

    public bool IsAlive(int pid)
    {
        lock (gate)
        {
            return alive.Contains(pid);
        }
    }

    public void Kill(int pid)
    {
        Killing?.Invoke(pid);
        lock (gate)
        {
            killed.Add(pid);
            if (!alive.Remove(pid))
            {
                return;
            }
        }

        Exited?.Invoke(pid);
    }

    public long? ReadResidentBytes(int pid)
    {
        lock (gate)
        {
            return alive.Contains(pid) && resident.TryGetValue(pid, out var bytes) ? bytes : null;
        }
    }
}
