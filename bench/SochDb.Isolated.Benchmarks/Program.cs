using SochDb.Isolated.Benchmarks;

// The hidden child mode of the R1 pipe reference (see PipeReferences) comes first: it is never a benchmark run.
return args is [PipeEchoChild.Argument, var pipeName]
    ? await PipeEchoChild.RunAsync(pipeName)
    : await BenchmarkRunner.RunAsync(args);
