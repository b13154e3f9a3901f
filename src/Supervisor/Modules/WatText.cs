using System.Text;
using SochDb.Isolated.Protocol;
using Wasmtime;

namespace SochDb.Isolated.Supervisor.Modules;

/// <summary>Turns WebAssembly text (<c>.wat</c>) into a binary module, so plugins can ship as readable source.</summary>
internal static class WatText
{
    /// <summary>Converts WAT source to wasm bytes.</summary>
    /// <param name="pluginId">The plugin, for errors.</param>
    /// <param name="path">The file the text came from, for errors.</param>
    /// <param name="utf8">The WAT source.</param>
    /// <returns>The binary module.</returns>
    /// <exception cref="PluginException">Kind <see cref="ErrorKind.InvalidWasm"/>: the text does not parse.</exception>
    public static byte[] ToWasm(string pluginId, string path, byte[] utf8)
    {
        try
        {
            return Module.ConvertText(Encoding.UTF8.GetString(utf8)).ToArray();
        }
        catch (WasmtimeException ex)
        {
            throw new PluginException(ErrorKind.InvalidWasm, pluginId, $"invalid WAT in '{path}': {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }
}
