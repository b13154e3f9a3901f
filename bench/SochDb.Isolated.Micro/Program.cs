using BenchmarkDotNet.Running;

// BenchmarkDotNet picks the benchmarks from the command line (--filter '*', --list flat, --job short, …).
BenchmarkSwitcher.FromAssembly(typeof(SochDb.Isolated.Micro.MessageSerialization).Assembly).Run(args);
