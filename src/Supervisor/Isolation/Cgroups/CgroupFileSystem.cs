using System.Text;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>The real file system, as cgroupfs or as a plain directory tree standing in for it.</summary>
internal sealed class CgroupFileSystem : ICgroupFileSystem
{
    private readonly bool plainDirectories;

    /// <summary>Initializes a new instance of the <see cref="CgroupFileSystem"/> class.</summary>
    /// <param name="plainDirectories">
    /// <see langword="true"/> for <see cref="IsolationOptions.CgroupRootOverride"/>: the "groups" are ordinary
    /// directories, so a write creates the file it names and a removal deletes the ordinary files first (on cgroupfs
    /// the kernel owns the interface files and rmdir alone removes them; deleting them there would fail).
    /// </param>
    public CgroupFileSystem(bool plainDirectories)
    {
        this.plainDirectories = plainDirectories;
    }

    /// <summary>Gets the real cgroup file system.</summary>
    public static CgroupFileSystem Kernel { get; } = new(plainDirectories: false);

    /// <inheritdoc/>
    public bool DirectoryExists(string path) => Directory.Exists(path);

    /// <inheritdoc/>
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc/>
    public void CreateDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"'{path}' already exists.");
        }

        Directory.CreateDirectory(path);
    }

    /// <inheritdoc/>
    public void RemoveDirectory(string path)
    {
        if (plainDirectories && Directory.Exists(path) && Directory.GetDirectories(path).Length == 0)
        {
            foreach (var file in Directory.GetFiles(path))
            {
                File.Delete(file);
            }
        }

        // Non-recursive Directory.Delete is a plain rmdir(2), which is what removes a cgroup.
        Directory.Delete(path, recursive: false);
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> GetDirectories(string path)
    {
        try
        {
            return Directory.GetDirectories(path);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <inheritdoc/>
    public string ReadAllText(string path) => File.ReadAllText(path);

    /// <inheritdoc/>
    public void WriteAllText(string path, string contents)
    {
        // One write(2) per value without truncation: the kernel parses each write on its own, and cgroup.procs takes
        // one pid per write.
        var mode = plainDirectories ? FileMode.Create : FileMode.Open;
        using var stream = new FileStream(path, mode, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        stream.Write(Encoding.ASCII.GetBytes(contents));
    }
}
