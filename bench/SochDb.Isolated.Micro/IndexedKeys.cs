using System.Runtime.Serialization;
using BenchmarkDotNet.Attributes;
using MessagePack;
using MessagePack.Resolvers;

namespace SochDb.Isolated.Micro;

/// <summary>
/// The lever for the per-row cost of a batch: the same 1,000-row answer with the messages' string keys (as the
/// protocol's <c>[DataMember(Name = …)]</c> makes MessagePack write them) against integer keys
/// (<c>[DataMember(Order = …)]</c>, a MessagePack array per object). The types mirror <c>InvokeResponse</c> and
/// <c>WireValue</c>; only the keys differ.
/// </summary>
[MemoryDiagnoser]
public class IndexedKeys
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    private NamedRow[] named = null!;
    private IndexedRow[] indexed = null!;
    private byte[] namedBytes = null!;
    private byte[] indexedBytes = null!;

    /// <summary>Builds both batches.</summary>
    [GlobalSetup]
    public void Setup()
    {
        named = [.. Enumerable.Range(0, 1_000).Select(i => new NamedRow { Results = [new NamedValue { Type = 1, Bits = i }], FuelConsumed = 4, DurationUs = 1, MemoryBytes = 65_536, PeakMemoryBytes = 65_536 })];
        indexed = [.. Enumerable.Range(0, 1_000).Select(i => new IndexedRow { Results = [new IndexedValue { Type = 1, Bits = i }], FuelConsumed = 4, DurationUs = 1, MemoryBytes = 65_536, PeakMemoryBytes = 65_536 })];
        namedBytes = MessagePackSerializer.Serialize(named, Options);
        indexedBytes = MessagePackSerializer.Serialize(indexed, Options);
    }

    /// <summary>Encodes and decodes 1,000 rows with string keys.</summary>
    /// <returns>A row count, so the work is used.</returns>
    [Benchmark(Baseline = true)]
    public int StringKeys() => MessagePackSerializer.Serialize(named, Options).Length + MessagePackSerializer.Deserialize<NamedRow[]>(namedBytes, Options).Length;

    /// <summary>Encodes and decodes 1,000 rows with integer keys.</summary>
    /// <returns>A row count, so the work is used.</returns>
    [Benchmark]
    public int IntegerKeys() => MessagePackSerializer.Serialize(indexed, Options).Length + MessagePackSerializer.Deserialize<IndexedRow[]>(indexedBytes, Options).Length;

    /// <summary>A row with string keys.</summary>
    [DataContract]
    public sealed class NamedRow
    {
        /// <summary>Gets or sets the results.</summary>
        [DataMember(Name = "results")]
        public NamedValue[] Results { get; set; } = [];

        /// <summary>Gets or sets the fuel consumed.</summary>
        [DataMember(Name = "fuelConsumed")]
        public long FuelConsumed { get; set; }

        /// <summary>Gets or sets the duration.</summary>
        [DataMember(Name = "durationUs")]
        public long DurationUs { get; set; }

        /// <summary>Gets or sets the memory.</summary>
        [DataMember(Name = "memoryBytes")]
        public long MemoryBytes { get; set; }

        /// <summary>Gets or sets the peak memory.</summary>
        [DataMember(Name = "peakMemoryBytes")]
        public long PeakMemoryBytes { get; set; }

        /// <summary>Gets or sets the host calls.</summary>
        [DataMember(Name = "hostCalls")]
        public long HostCalls { get; set; }

        /// <summary>Gets or sets the host call errors.</summary>
        [DataMember(Name = "hostCallErrors")]
        public long HostCallErrors { get; set; }

        /// <summary>Gets or sets a value indicating whether the instance was replaced.</summary>
        [DataMember(Name = "reinstantiated")]
        public bool Reinstantiated { get; set; }
    }

    /// <summary>A value with string keys.</summary>
    [DataContract]
    public sealed class NamedValue
    {
        /// <summary>Gets or sets the type.</summary>
        [DataMember(Name = "type")]
        public int Type { get; set; }

        /// <summary>Gets or sets the bits.</summary>
        [DataMember(Name = "bits")]
        public long Bits { get; set; }

        /// <summary>Gets or sets the bytes.</summary>
        [DataMember(Name = "bytes")]
        public byte[]? Bytes { get; set; }
    }

    /// <summary>A row with integer keys.</summary>
    [DataContract]
    public sealed class IndexedRow
    {
        /// <summary>Gets or sets the results.</summary>
        [DataMember(Order = 0)]
        public IndexedValue[] Results { get; set; } = [];

        /// <summary>Gets or sets the fuel consumed.</summary>
        [DataMember(Order = 1)]
        public long FuelConsumed { get; set; }

        /// <summary>Gets or sets the duration.</summary>
        [DataMember(Order = 2)]
        public long DurationUs { get; set; }

        /// <summary>Gets or sets the memory.</summary>
        [DataMember(Order = 3)]
        public long MemoryBytes { get; set; }

        /// <summary>Gets or sets the peak memory.</summary>
        [DataMember(Order = 4)]
        public long PeakMemoryBytes { get; set; }

        /// <summary>Gets or sets the host calls.</summary>
        [DataMember(Order = 5)]
        public long HostCalls { get; set; }

        /// <summary>Gets or sets the host call errors.</summary>
        [DataMember(Order = 6)]
        public long HostCallErrors { get; set; }

        /// <summary>Gets or sets a value indicating whether the instance was replaced.</summary>
        [DataMember(Order = 7)]
        public bool Reinstantiated { get; set; }
    }

    /// <summary>A value with integer keys.</summary>
    [DataContract]
    public sealed class IndexedValue
    {
        /// <summary>Gets or sets the type.</summary>
        [DataMember(Order = 0)]
        public int Type { get; set; }

        /// <summary>Gets or sets the bits.</summary>
        [DataMember(Order = 1)]
        public long Bits { get; set; }

        /// <summary>Gets or sets the bytes.</summary>
        [DataMember(Order = 2)]
        public byte[]? Bytes { get; set; }
    }
}
