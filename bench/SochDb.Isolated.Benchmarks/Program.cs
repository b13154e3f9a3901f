using SochDb.Isolated.Benchmarks;

return await BenchmarkRunner.RunAsync(args);
