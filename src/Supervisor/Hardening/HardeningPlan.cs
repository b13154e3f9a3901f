using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>
/// How one supervisor launches and hardens its workers, decided once from its options and what the host allows.
/// </summary>
/// <param name="LaunchPrefix">The programs and arguments that run before the worker's command line (empty for none): <c>unshare … -- setpriv … --</c>.</param>
/// <param name="WorkerRequest">What the worker applies to itself, for <see cref="WorkerBootstrap.Hardening"/>; <see langword="null"/> for nothing.</param>
/// <param name="Expected">What the worker's report must show.</param>
/// <param name="Degradations">Measures asked for (or defaulted to) that are not in force here, and why.</param>
/// <param name="Failure">Why workers cannot be started at all (a required measure is unavailable); <see langword="null"/> when they can.</param>
/// <param name="MarkDescriptorsCloseOnExec">Whether to mark the supervisor's descriptors close-on-exec before each start.</param>
/// <param name="Summary">The measures in force, for one log line.</param>
internal sealed record HardeningPlan(
    IReadOnlyList<string> LaunchPrefix,
    WorkerHardeningRequest? WorkerRequest,
    HardeningExpectation Expected,
    IReadOnlyList<HardeningDegradation> Degradations,
    string? Failure,
    bool MarkDescriptorsCloseOnExec,
    string Summary);
