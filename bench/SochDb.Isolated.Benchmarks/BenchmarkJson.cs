using System.Text.Json.Serialization;

namespace SochDb.Isolated.Benchmarks;

/// <summary>Source-generated JSON for the report.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BenchmarkReport))]
[JsonSerializable(typeof(Dictionary<string, double>))]
internal sealed partial class BenchmarkJson : JsonSerializerContext;
