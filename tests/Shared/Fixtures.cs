namespace SochDb.Isolated.Tests;

/// <summary>Paths and bytes of the test modules under <c>tests/Fixtures</c>.</summary>
internal static class Fixtures
{
    /// <summary>Gets the folder the fixtures are copied to.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>Gets the path of a fixture module's text.</summary>
    public static string WatPath(string name) => Path.Combine(Folder, "Modules", name + ".wat");

    /// <summary>Gets a fixture module's WAT text.</summary>
    public static string Wat(string name) => File.ReadAllText(WatPath(name));

    /// <summary>Gets a fixture module as wasm bytes.</summary>
    public static byte[] Wasm(string name) => Wasmtime.Module.ConvertText(Wat(name)).ToArray();
}
