namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>Where the supervisor's own groups are: the directories beneath which it may create worker groups.</summary>
/// <param name="UnifiedDirectory">The supervisor's own cgroup v2 group, or <see langword="null"/> when there is no usable v2 mount.</param>
/// <param name="ControllerDirectories">Per v1 controller (<c>memory</c>, <c>pids</c>, <c>cpu</c>, <c>freezer</c>…), the supervisor's own group in that controller's hierarchy.</param>
/// <param name="Notes">Why a hierarchy could not be mapped to a directory, for the "unavailable" reasons.</param>
internal sealed record CgroupLayout(string? UnifiedDirectory, IReadOnlyDictionary<string, string> ControllerDirectories, IReadOnlyList<string> Notes);
