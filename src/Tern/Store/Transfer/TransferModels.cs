using Tern.Store.FileSystem;

namespace Tern.Store.Transfer;

/// <summary>How far an import or export is: messages done of the total known so far.</summary>
public sealed record TransferProgress(long Done, long Total, string Mailbox);

public sealed record TransferResult(int Messages, int Skipped, IReadOnlyList<string> Mailboxes, IReadOnlyList<string> Warnings);

/// <summary>One message read from a foreign mailbox, with its flags and date.</summary>
internal sealed record ForeignMessage(Func<Stream> Open, MessageFlags Flags, IReadOnlyList<string> Keywords, DateTimeOffset? Date);

/// <summary>Appending with the import ledger: a message whose content hash is already recorded for the mailbox is
/// skipped, so a second run of the same import adds nothing.</summary>
internal static class ImportSink
{
    public static async Task<bool> AddAsync(IMailAccount account, string mailbox, ForeignMessage message, CancellationToken cancellationToken)
    {
        if (account is not AccountHandle handle)
        {
            await using var plain = message.Open();
            await account.AppendAsync(mailbox, plain, new AppendOptions(message.Flags, message.Keywords, message.Date), cancellationToken).ConfigureAwait(false);
            return true;
        }
        string key;
        await using (var content = message.Open())
        {
            var (size, sha) = await MessageWriter.HashNormalizedAsync(content, cancellationToken).ConfigureAwait(false);
            key = Convert.ToHexString(sha).ToLowerInvariant() + ":" + size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (await handle.WasImportedAsync(mailbox, key, cancellationToken).ConfigureAwait(false))
            return false;
        await using var stream = message.Open();
        await handle.ImportAsync(mailbox, stream, new AppendOptions(message.Flags, message.Keywords, message.Date), key, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Creates the mailbox (and parents) unless it exists.</summary>
    public static async Task EnsureMailboxAsync(IMailAccount account, string mailbox, CancellationToken cancellationToken)
    {
        var existing = await account.GetMailboxAsync(mailbox, cancellationToken).ConfigureAwait(false);
        if (existing is not null && !existing.NoSelect) return;
        try
        {
            await account.CreateMailboxAsync(mailbox, SpecialUse.None, cancellationToken).ConfigureAwait(false);
        }
        catch (MailStoreException ex) when (ex.Error == MailStoreError.AlreadyExists)
        {
        }
    }
}
