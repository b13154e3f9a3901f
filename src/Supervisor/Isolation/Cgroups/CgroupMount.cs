namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>One cgroup mount from <c>/proc/self/mountinfo</c>.</summary>
/// <param name="Root">The group of the hierarchy that is mounted (field 4): <c>/</c> unless only a subtree is visible, as in many containers.</param>
/// <param name="MountPoint">Where it is mounted (field 5).</param>
/// <param name="IsUnified">Whether it is a cgroup2 mount.</param>
/// <param name="Options">The super options of a v1 mount (its controllers among them); empty for v2.</param>
internal sealed record CgroupMount(string Root, string MountPoint, bool IsUnified, IReadOnlyList<string> Options);
