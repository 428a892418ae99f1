using System.Security.Cryptography;
using System.Text;
using MimeKit;
using MimeKit.Utils;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>RFC 8474 object identifiers.</summary>
/// <remarks>
/// MAILBOXID: the mailbox's internal id (kept by RENAME, never reused) with its UIDVALIDITY, so that even an index rebuilt
/// from the files cannot hand an old id to a different mailbox.
/// EMAILID: the store's id of the message file, shared by every copy (RFC 8474 5.1).
/// THREADID: derived from the thread's root Message-ID, the first msg-id of References, else of In-Reply-To, else the
/// message's own Message-ID (RFC 5256 REFERENCES threading starts from the same root). Being a function of the message's
/// own header it needs no stored state and is the same for every copy and every mailbox (RFC 8474 5.2). Its limit: a
/// reply whose References lacks the root (only In-Reply-To its parent) starts a thread at the parent. A message with
/// no ids at all is a thread of its own (its EMAILID). Chosen over NIL because most mail carries References
/// (RFC 5322 3.6.4) and clients then get real threads.
/// </remarks>
public static class ObjectIds
{
    public static string MailboxId(MailboxInfo mailbox) =>
        FormattableString.Invariant($"F{mailbox.Id:x}-{mailbox.UidValidity:x}");

    public static string ThreadId(HeaderList headers, string emailId)
    {
        var root = FirstId(headers[HeaderId.References]) ?? FirstId(headers[HeaderId.InReplyTo]) ?? FirstId(headers[HeaderId.MessageId]);
        if (root is null)
            return "T" + emailId;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(root.ToLowerInvariant()));
        return "T" + Convert.ToHexStringLower(hash, 0, 12);
    }

    static string? FirstId(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        foreach (var id in MimeUtils.EnumerateReferences(value))
            return id;
        return null;
    }

    /// <summary>Reads the header of a stored message (its range from the stored structure) and derives THREADID.</summary>
    public static async Task<string> ThreadIdAsync(Stream message, MessageStructure structure, string emailId, CancellationToken cancellationToken)
    {
        message.Seek(structure.Body.HeaderOffset, SeekOrigin.Begin);
        var header = new byte[Math.Min(structure.Body.HeaderLength, 1024 * 1024)];
        await message.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        using var ms = new MemoryStream(header, writable: false);
        var headers = await HeaderList.LoadAsync(ms, cancellationToken).ConfigureAwait(false);
        return ThreadId(headers, emailId);
    }
}
