using SochDb.Isolated.Benchmarks;

// Hidden modes first: the R1 pipe reference's echo child, and the physical pipe references on their own (a quick
// look at a machine's floor without the rest of the suite). Neither is a benchmark run.
return args switch
{
    [PipeEchoChild.Argument, var pipeName] => await PipeEchoChild.RunAsync(pipeName),
    [PipeReferences.OnlyArgument, .. var rest] => await PipeReferences.RunOnlyAsync(rest),
    _ => await BenchmarkRunner.RunAsync(args),
};
