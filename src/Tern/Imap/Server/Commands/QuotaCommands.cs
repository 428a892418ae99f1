namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9208 QUOTA: one quota root "" for the whole account with STORAGE (in units of 1024 octets) and
/// MESSAGE resources; SETQUOTA is for administrators (the CLI), so it is refused.</summary>
static class QuotaCommands
{
    public static async Task<ImapResult> GetQuotaRootAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var name = MailboxNames.Read(args, session.Utf8Output);
        args.ExpectEnd();
        if (await session.Account!.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false) is null)
            return ImapResult.No("No such mailbox", "NONEXISTENT");
        var quota = await session.Account.GetQuotaAsync(cancellationToken).ConfigureAwait(false);
        if (quota.StorageLimitBytes is null && quota.MessageLimit is null)
        {
            // No limits: no quota root (RFC 9208 4.3.2 allows a mailbox without roots), as Dovecot answers.
            session.Writer.Raw("* QUOTAROOT ").Mailbox(name).Crlf();
            return ImapResult.Ok("GETQUOTAROOT completed");
        }
        session.Writer.Raw("* QUOTAROOT ").Mailbox(name).Raw(" \"\"").Crlf();
        WriteQuota(session, quota);
        return ImapResult.Ok("GETQUOTAROOT completed");
    }

    public static async Task<ImapResult> GetQuotaAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var root = args.AString();
        args.ExpectEnd();
        var quota = await session.Account!.GetQuotaAsync(cancellationToken).ConfigureAwait(false);
        if (root.Length != 0 || (quota.StorageLimitBytes is null && quota.MessageLimit is null))
            return ImapResult.No("No such quota root", "NONEXISTENT");
        WriteQuota(session, quota);
        return ImapResult.Ok("GETQUOTA completed");
    }

    public static Task<ImapResult> SetQuotaAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(ImapResult.No("Quotas are set by the administrator", "NOPERM"));

    static void WriteQuota(ImapSession session, Store.QuotaInfo quota)
    {
        var resources = new List<string>();
        if (quota.StorageLimitBytes is { } storage)
            resources.Add($"STORAGE {(quota.StorageUsedBytes + 1023) / 1024} {storage / 1024}");
        if (quota.MessageLimit is { } messages)
            resources.Add($"MESSAGE {quota.MessageCount} {messages}");
        var line = $"* QUOTA \"\" ({string.Join(' ', resources)})";
        session.WriteBuffered(line);
    }
}
