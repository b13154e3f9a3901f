using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SochDb.Isolated.Supervisor.Audit;

/// <summary>
/// The audit line format: one <see cref="AuditRecord"/> per line as compact JSON in UTF-8, ended by <c>\n</c>;
/// camelCase names, enums as their names, the timestamp as ISO-8601 UTC (<c>…Z</c>), <see langword="null"/> fields left out.
/// Control characters in text are escaped, so a record never spans lines.
/// </summary>
internal static class AuditRecordJson
{
    /// <summary>How much of a file's end <see cref="ReadLastSequence"/> reads; far more than the longest record.</summary>
    internal const int TailBytes = 64 * 1024;

    /// <summary>Gets the serialization metadata of a record.</summary>
    public static JsonTypeInfo<AuditRecord> TypeInfo => AuditJsonContext.Default.AuditRecord;

    /// <summary>Parses one line (without its <c>\n</c>).</summary>
    /// <param name="line">The line's UTF-8 bytes.</param>
    /// <param name="record">The record, when the line holds one.</param>
    /// <returns>Whether the line holds a complete record.</returns>
    public static bool TryParseLine(ReadOnlySpan<byte> line, [NotNullWhen(true)] out AuditRecord? record)
    {
        record = null;
        try
        {
            record = JsonSerializer.Deserialize(line, TypeInfo);
        }
        catch (JsonException)
        {
            return false;
        }

        return record is { PluginId: not null, Function: not null };
    }

    /// <summary>Parses every line of an audit file. Lines that hold no record — a torn last line after a crash, say — are skipped and counted.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The records in file order and the number of malformed lines.</returns>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static AuditFileContents ReadFile(string path)
    {
        var records = new List<AuditRecord>();
        var malformed = 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var content = new byte[stream.Length];
        stream.ReadExactly(content);
        foreach (var range in content.AsSpan().Split((byte)'\n'))
        {
            var line = content.AsSpan(range);
            if (line.IsEmpty)
            {
                continue;
            }

            if (TryParseLine(line, out var record))
            {
                records.Add(record);
            }
            else
            {
                malformed++;
            }
        }

        return new AuditFileContents(records, malformed);
    }

    /// <summary>
    /// Finds the sequence of the last readable record in the last <see cref="TailBytes"/> of a file, without reading the rest.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The sequence, or <see langword="null"/> when the file is missing, empty, not a regular file or holds no readable record at its end.</returns>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static long? ReadLastSequence(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (!stream.CanSeek)
        {
            return null;
        }

        var length = stream.Length;
        var tail = new byte[(int)Math.Min(length, TailBytes)];
        stream.Position = length - tail.Length;
        stream.ReadExactly(tail);
        ReadOnlySpan<byte> rest = tail;
        while (!rest.IsEmpty)
        {
            var newline = rest.LastIndexOf((byte)'\n');
            var line = rest[(newline + 1)..];
            if (!line.IsEmpty && TryParseLine(line, out var record))
            {
                return record.Sequence;
            }

            rest = newline < 0 ? [] : rest[..newline];
        }

        return null;
    }

    /// <summary>Writes <see cref="DateTimeOffset"/> values as ISO-8601 UTC (<c>2025-01-02T03:04:05.6789012Z</c>); reads any ISO-8601 offset.</summary>
    internal sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
    {
        /// <inheritdoc/>
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset().ToUniversalTime();

        /// <inheritdoc/>
        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime);
    }
}

/// <summary>What <see cref="AuditRecordJson.ReadFile"/> found in an audit file.</summary>
/// <param name="Records">The records, in file order.</param>
/// <param name="MalformedLines">The non-empty lines that held no record.</param>
internal sealed record AuditFileContents(IReadOnlyList<AuditRecord> Records, int MalformedLines);

/// <summary>Source-generated serialization of <see cref="AuditRecord"/> in the audit line format.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(AuditRecordJson.UtcTimestampConverter)])]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJsonContext : JsonSerializerContext
{
}
