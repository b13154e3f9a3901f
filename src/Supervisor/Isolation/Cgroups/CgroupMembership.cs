namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>One line of <c>/proc/self/cgroup</c>: the process's group in one hierarchy.</summary>
/// <param name="HierarchyId">The hierarchy id; 0 with no controllers is the cgroup v2 (unified) hierarchy.</param>
/// <param name="Controllers">The v1 controllers bound to the hierarchy (<c>cpu</c>, <c>cpuacct</c>, <c>name=systemd</c>), empty for v2.</param>
/// <param name="Path">The group's path from the hierarchy's root (as the process's cgroup namespace sees it).</param>
internal sealed record CgroupMembership(int HierarchyId, IReadOnlyList<string> Controllers, string Path)
{
    /// <summary>Gets a value indicating whether this is the cgroup v2 line (<c>0::/path</c>).</summary>
    public bool IsUnified => HierarchyId == 0 && Controllers.Count == 0;
}
