using System.Text.Encodings.Web;
using System.Text.Json;

namespace SochDb.Isolated.Cli;

/// <summary>JSON output settings shared by every command.</summary>
internal static class CliJson
{
    /// <summary>Gets compact output that leaves quotes and non-ASCII text readable (the output is never embedded in HTML).</summary>
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
