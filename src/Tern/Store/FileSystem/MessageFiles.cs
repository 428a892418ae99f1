using System.Globalization;

namespace Tern.Store.FileSystem;

/// <summary>Where message files live: <c>messages/&lt;shard&gt;/&lt;id&gt;-&lt;mailbox&gt;.eml</c>. The id is the message's
/// number in the index; the second number is the mailbox it was first stored in, so that an index rebuilt from the files
/// alone puts every message back into a mailbox. Names are numbers only: no mailbox name ever becomes a path.</summary>
internal static class MessageFiles
{
    /// <summary>4096 files per folder keeps directories small enough to list and fsync quickly.</summary>
    const int ShardBits = 12;

    public static string ShardOf(long id) => (id >> ShardBits).ToString("x4", CultureInfo.InvariantCulture);

    public static string PathOf(string messagesDirectory, long id, long originMailbox) =>
        Path.Combine(messagesDirectory, ShardOf(id), FileName(id, originMailbox));

    public static string FileName(long id, long originMailbox) =>
        string.Create(CultureInfo.InvariantCulture, $"{id}-{originMailbox}.eml");

    public static bool TryParse(string fileName, out long id, out long originMailbox)
    {
        id = 0;
        originMailbox = 0;
        if (!fileName.EndsWith(".eml", StringComparison.Ordinal)) return false;
        var stem = fileName.AsSpan(0, fileName.Length - 4);
        int dash = stem.IndexOf('-');
        return dash > 0
            && long.TryParse(stem[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out id)
            && long.TryParse(stem[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out originMailbox);
    }

    public sealed record StoredFile(long Id, long OriginMailbox, string Path);

    /// <summary>Every message file under <paramref name="messagesDirectory"/>.</summary>
    public static IEnumerable<StoredFile> Enumerate(string messagesDirectory)
    {
        if (!Directory.Exists(messagesDirectory)) yield break;
        foreach (var shard in Directory.EnumerateDirectories(messagesDirectory))
        {
            foreach (var path in Directory.EnumerateFiles(shard))
            {
                if (TryParse(Path.GetFileName(path), out var id, out var origin))
                    yield return new StoredFile(id, origin, path);
            }
        }
    }

    /// <summary>Leftover temporary files: anything in a shard folder that is not a message file.</summary>
    public static IEnumerable<string> EnumerateStrays(string messagesDirectory)
    {
        if (!Directory.Exists(messagesDirectory)) yield break;
        foreach (var shard in Directory.EnumerateDirectories(messagesDirectory))
            foreach (var path in Directory.EnumerateFiles(shard))
                if (!TryParse(Path.GetFileName(path), out _, out _))
                    yield return path;
    }
}
