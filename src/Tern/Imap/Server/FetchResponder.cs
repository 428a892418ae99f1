using System.Buffers;
using System.Text;
using MimeKit.Encodings;
using Tern.Imap.Protocol;
using Tern.Imap.Server.Commands;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>Writes one "* n FETCH (...)" response (RFC 9051 7.5.2), opening the message file only when a body
/// section is asked for.</summary>
/// <remarks>File reads are synchronous: a message file is almost always in the page cache, and a synchronous read of it
/// costs a fraction of the thread-pool hop that FileStream.ReadAsync takes on Unix for every call.</remarks>
/// <param name="header">The top-level header as stored, when the caller has it (<see cref="IMailAccount.GetHeadersAsync"/>):
/// header items are then written from it, without the structure or the file.</param>
sealed class FetchResponder(ImapSession session, SelectedMailbox selected, MessageInfo info, int seq, MessageStructure? structure = null,
    ReadOnlyMemory<byte>? header = null) : IAsyncDisposable
{
    Stream? stream;

    /// <summary>Null on success, or the tagged result that ends the command (an unknown transfer encoding for BINARY).</summary>
    public async Task<ImapResult?> WriteAsync(List<FetchItem> items, bool addFlags, CancellationToken cancellationToken)
    {
        // Everything read from the store is opened before "* n FETCH (" is written: a message expunged by another
        // session meanwhile (MailStoreException NotFound) is then skipped whole, never left half written. Once open, the
        // file stays readable even if it is unlinked.
        if (structure is null && items.Any(i => header is null ? i.NeedsStructure : i.NeedsStructureBeyondHeader))
            structure = await session.Account!.GetStructureAsync(selected.Id, info.Uid, cancellationToken).ConfigureAwait(false);
        if (items.Any(i => i.Kind is FetchItemKind.BodySection or FetchItemKind.Binary or FetchItemKind.BinarySize
            or FetchItemKind.Rfc822 or FetchItemKind.Rfc822Header or FetchItemKind.Rfc822Text && !(header is not null && i.IsTopLevelHeader)))
            await OpenAsync().ConfigureAwait(false);
        string? threadId = null;
        if (items.Any(i => i.Kind == FetchItemKind.ThreadId))
            threadId = await ObjectIds.ThreadIdAsync(await OpenAsync().ConfigureAwait(false), structure!, info.EmailId, cancellationToken).ConfigureAwait(false);
        // BINARY data is decoded before anything is written, so a refusal leaves no half response.
        Dictionary<FetchItem, byte[]?>? binaries = null;
        foreach (var item in items)
        {
            if (item.Kind is not (FetchItemKind.Binary or FetchItemKind.BinarySize))
                continue;
            var (data, error) = await DecodeBinaryAsync(item.Section!, cancellationToken).ConfigureAwait(false);
            if (error is not null)
                return error;
            (binaries ??= [])[item] = data;
        }

        var w = session.Writer;
        w.Raw("* ").Number(seq).Raw(" FETCH (");
        if (session.Connection.SessionLogEnabled)
            session.Connection.LogReply($"* {seq} FETCH ({string.Join(' ', items.Select(i => i.Kind))})");
        bool first = true;
        if (addFlags)
        {
            WriteFlags(w);
            first = false;
        }
        foreach (var item in items)
        {
            if (!first)
                w.Space();
            first = false;
            switch (item.Kind)
            {
                case FetchItemKind.Flags: WriteFlags(w); break;
                case FetchItemKind.Uid: w.Raw("UID ").Number(info.Uid); break;
                case FetchItemKind.InternalDate: w.Raw("INTERNALDATE ").DateTime(info.InternalDate); break;
                case FetchItemKind.Rfc822Size: w.Raw("RFC822.SIZE ").Number(info.Size); break;
                case FetchItemKind.ModSeq: w.Raw("MODSEQ (").Number(info.ModSeq).Raw(')'); break;
                case FetchItemKind.EmailId: w.Raw("EMAILID (").Raw(info.EmailId).Raw(')'); break;     // RFC 8474 5.1
                case FetchItemKind.ThreadId: w.Raw("THREADID (").Raw(threadId!).Raw(')'); break;      // RFC 8474 5.2
                case FetchItemKind.SaveDate: w.Raw("SAVEDATE ").DateTime(info.SaveDate); break;       // RFC 8514 4.3
                case FetchItemKind.Envelope:
                    w.Raw("ENVELOPE ");
                    StructureWriter.Envelope(w, structure!.Envelope);
                    break;
                case FetchItemKind.Body:
                    w.Raw("BODY ");
                    StructureWriter.Body(w, structure!.Body, extensible: false);
                    break;
                case FetchItemKind.BodyStructure:
                    w.Raw("BODYSTRUCTURE ");
                    StructureWriter.Body(w, structure!.Body, extensible: true);
                    break;
                case FetchItemKind.Rfc822:
                    w.Raw("RFC822 ");
                    await StreamAsync(0, info.Size, null, 0, cancellationToken).ConfigureAwait(false);
                    break;
                case FetchItemKind.Rfc822Header when header is { } h:
                    w.Raw("RFC822.HEADER ").Literal(h.Span);
                    break;
                case FetchItemKind.Rfc822Header:
                case FetchItemKind.Rfc822Text:
                {
                    var s = structure ?? await session.Account!.GetStructureAsync(selected.Id, info.Uid, cancellationToken).ConfigureAwait(false);
                    structure = s;
                    bool header = item.Kind == FetchItemKind.Rfc822Header;
                    w.Raw(header ? "RFC822.HEADER " : "RFC822.TEXT ");
                    if (header)
                        await StreamAsync(s.Body.HeaderOffset, s.Body.HeaderLength, null, 0, cancellationToken).ConfigureAwait(false);
                    else
                        await StreamAsync(s.Body.BodyOffset, s.Body.BodyLength, null, 0, cancellationToken).ConfigureAwait(false);
                    break;
                }
                case FetchItemKind.BodySection:
                    await WriteSectionAsync(w, item, cancellationToken).ConfigureAwait(false);
                    break;
                case FetchItemKind.Binary:
                {
                    var data = binaries![item];
                    w.Raw("BINARY[").Raw(string.Join('.', item.Section!.Parts)).Raw(']');
                    if (item.PartialOffset is { } o)
                        w.Raw('<').Number(o).Raw('>');
                    w.Space();
                    if (data is null)
                    {
                        w.Raw("NIL"u8);
                        break;
                    }
                    var slice = Partial(data, item);
                    // RFC 3516 4.3: literal8 when the decoded data holds NUL.
                    w.LiteralHeader(slice.Length, binary: slice.Contains((byte)0)).Raw(slice);
                    break;
                }
                case FetchItemKind.BinarySize:
                    w.Raw("BINARY.SIZE[").Raw(string.Join('.', item.Section!.Parts)).Raw("] ");
                    if (binaries![item] is { } decoded) w.Number(decoded.Length); else w.Raw("NIL"u8);
                    break;
            }
        }
        w.Raw(")\r\n"u8);
        return null;
    }

    void WriteFlags(ImapResponseWriter w) =>
        w.Raw("FLAGS (").Raw(FlagText.Format(info, session.ShowsRecent(info.Uid))).Raw(')');

    async Task WriteSectionAsync(ImapResponseWriter w, FetchItem item, CancellationToken cancellationToken)
    {
        w.Raw("BODY[").Raw(item.Section!.ToString()).Raw(']');
        if (item.PartialOffset is { } origin)
            w.Raw('<').Number(origin).Raw('>');
        w.Space();
        if (item.IsWholeMessage)
        {
            await StreamAsync(0, info.Size, item.PartialOffset, item.PartialLength, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (header is { } h && item.IsTopLevelHeader)
        {
            if (item.Section.Text == SectionText.Header)
                w.Literal(Partial(h.Span, item));
            else
                w.Literal(Partial(MessageSections.FilterHeader(h.Span, item.Section.Fields, item.Section.Text == SectionText.HeaderFieldsNot), item));
            return;
        }
        var data = await MessageSections.LocateAsync(item.Section, structure!, info.Size, OpenAsync, cancellationToken).ConfigureAwait(false);
        if (data is not { } d)
        {
            w.Raw("NIL"u8);
            return;
        }
        if (d.Built is { } built)
        {
            var slice = Partial(built, item);
            w.Literal(slice);
            return;
        }
        await StreamAsync(d.Offset, d.Length, item.PartialOffset, item.PartialLength, cancellationToken).ConfigureAwait(false);
    }

    static ReadOnlySpan<byte> Partial(ReadOnlySpan<byte> data, FetchItem item)
    {
        if (item.PartialOffset is not { } o)
            return data;
        if (o >= data.Length)
            return [];
        return data.Slice((int)o, (int)Math.Min(item.PartialLength, data.Length - o));
    }

    /// <summary>Writes a literal of the file range [offset, offset+length), cut by the partial origin and size
    /// (RFC 9051 6.4.5: an origin past the end gives an empty string).</summary>
    async Task StreamAsync(long offset, long length, long? partialOffset, long partialLength, CancellationToken cancellationToken)
    {
        if (partialOffset is { } p)
        {
            long start = Math.Min(p, length);
            offset += start;
            length = Math.Min(partialLength, length - start);
        }
        var w = session.Writer;
        w.LiteralHeader(length);
        if (length == 0)
            return;
        var s = await OpenAsync().ConfigureAwait(false);
        s.Seek(offset, SeekOrigin.Begin);
        var output = session.Connection.Output;
        long remaining = length;
        while (remaining > 0)
        {
            var memory = output.GetMemory((int)Math.Min(remaining, 64 * 1024));
            if (memory.Length > remaining)
                memory = memory[..(int)remaining];
            int n = s.Read(memory.Span);
            if (n == 0)
                throw new IOException($"Message {info.Uid} ends before its recorded size.");
            output.Advance(n);
            remaining -= n;
            await session.FlushIfLargeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    async Task<Stream> OpenAsync()
    {
        stream ??= await session.Account!.OpenMessageAsync(selected.Id, info.Uid).ConfigureAwait(false);
        return stream;
    }

    /// <summary>RFC 3516 BINARY: the part's content with its transfer encoding undone.</summary>
    async Task<(byte[]? Data, ImapResult? Error)> DecodeBinaryAsync(Section section, CancellationToken cancellationToken)
    {
        var part = MessageSections.FindPart(structure!.Body, section.Parts);
        if (part is null)
            return (null, null);
        if (part.IsMultipart || part.Message is not null && section.Parts.Count > 0)
            return (null, ImapResult.No("BINARY applies to leaf parts", "UNKNOWN-CTE"));
        long offset = part.BodyOffset;
        var raw = new byte[part.BodyLength];
        var s = await OpenAsync().ConfigureAwait(false);
        s.Seek(offset, SeekOrigin.Begin);
        s.ReadExactly(raw);
        var encoding = (part.ContentTransferEncoding ?? "7bit").ToLowerInvariant();
        if (encoding is not ("base64" or "quoted-printable" or "7bit" or "8bit" or "binary"))
            return (null, ImapResult.No($"Unknown Content-Transfer-Encoding {encoding}", "UNKNOWN-CTE"));
        IMimeDecoder? decoder = encoding switch
        {
            "base64" => new Base64Decoder(),
            "quoted-printable" => new QuotedPrintableDecoder(),
            _ => null,
        };
        if (decoder is null)
            return (raw, null);
        var output = new byte[decoder.EstimateOutputLength(raw.Length)];
        int n = decoder.Decode(raw, 0, raw.Length, output);
        return (output[..n], null);
    }

    public async ValueTask DisposeAsync()
    {
        if (stream is not null)
            await stream.DisposeAsync().ConfigureAwait(false);
    }
}
