using Tern.Bench.Measure;

namespace Tern.Bench.Servers;

/// <summary>The Maildir tree that Postfix delivers into and Dovecot serves: root/bench.test/NAME/{cur,new,tmp},
/// owned by the unprivileged user both servers run the mail as.</summary>
public sealed class BenchMaildir(string root)
{
    /// <summary>nobody:nogroup on Debian; the reference servers deliver and read mail as this user.</summary>
    public const int MailUid = 65534;
    public const int MailGid = 65534;

    public string Root { get; } = root;

    public string PathOf(MailboxSpec spec) => Path.Combine(Root, MailboxSpec.Domain, spec.Name);

    /// <summary>Writes every spec's messages into cur/ (seen by Dovecot as old, not \Recent, mail), then hands the
    /// tree to the mail user.</summary>
    public async Task CreateAsync(IReadOnlyList<MailboxSpec> mailboxes, CancellationToken cancellationToken)
    {
        foreach (var spec in mailboxes)
        {
            var dir = PathOf(spec);
            foreach (var sub in new[] { "cur", "new", "tmp" })
                Directory.CreateDirectory(Path.Combine(dir, sub));
            var baseTime = 1_767_254_400L; // 2026-01-01, so that names sort by index
            await Parallel.ForEachAsync(Enumerable.Range(0, spec.Messages), cancellationToken, async (i, ct) =>
            {
                var bytes = BenchCorpus.Message(spec, i);
                var name = $"{baseTime + i}.M{i}P1.bench,S={bytes.Length}:2,";
                await File.WriteAllBytesAsync(Path.Combine(dir, "cur", name), bytes, ct);
            });
        }
        var chown = await Shell.RunAsync("chown", ["-R", $"{MailUid}:{MailGid}", Root], cancellationToken: cancellationToken);
        if (!chown.Ok)
            throw new MissingException($"cannot hand the Maildir to uid {MailUid}: {chown.LastLine()}");
    }
}
