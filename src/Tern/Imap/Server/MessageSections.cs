using System.Text;
using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>Where a BODY[section] lies in the stored message (RFC 9051 6.4.5): either a range of the file to stream,
/// or, for HEADER.FIELDS(.NOT), the selected header lines built in memory (headers are small).</summary>
public readonly record struct SectionData(long Offset, long Length, byte[]? Built);

public static class MessageSections
{
    /// <summary>Longest header read for HEADER.FIELDS; headers beyond it are cut (bad input, not real mail).</summary>
    const int MaxHeaderRead = 1 << 20;

    /// <summary>Finds the part a section-part names: "1.2" walks into multiparts and through message/rfc822 parts;
    /// a non-multipart message has part 1 itself. Null when the part does not exist.</summary>
    public static BodyPart? FindPart(BodyPart root, IReadOnlyList<uint> parts)
    {
        var current = root;
        foreach (var n in parts)
        {
            if (current.Message is not null && current != root)
                current = current.Message;
            if (current.IsMultipart)
            {
                if (n > current.Parts.Count)
                    return null;
                current = current.Parts[(int)n - 1];
            }
            else if (n != 1)
            {
                return null;
            }
        }
        return current;
    }

    /// <summary>Resolves a section to its data; null when it does not exist (the client then gets NIL, RFC 9051 6.4.5
    /// leaves this to the server; Dovecot sends empty, MailKit accepts both).</summary>
    public static async Task<SectionData?> LocateAsync(
        Section section, MessageStructure structure, long messageSize, Func<Task<Stream>> open, CancellationToken cancellationToken)
    {
        var part = FindPart(structure.Body, section.Parts);
        if (part is null)
            return null;
        if (section.Parts.Count == 0)
        {
            return section.Text switch
            {
                SectionText.None => new SectionData(0, messageSize, null),
                SectionText.Header => new SectionData(part.HeaderOffset, part.HeaderLength, null),
                SectionText.Text => new SectionData(part.BodyOffset, part.BodyLength, null),
                _ => await HeaderFieldsAsync(part, section, open, cancellationToken).ConfigureAwait(false),
            };
        }
        switch (section.Text)
        {
            case SectionText.None:
                return new SectionData(part.BodyOffset, part.BodyLength, null);
            case SectionText.Mime:
                return new SectionData(part.HeaderOffset, part.HeaderLength, null);
        }
        // HEADER, HEADER.FIELDS, TEXT of a part: only for message/rfc822 parts, about the embedded message.
        var inner = part.Message;
        if (inner is null)
            return null;
        return section.Text switch
        {
            SectionText.Header => new SectionData(inner.HeaderOffset, inner.HeaderLength, null),
            SectionText.Text => new SectionData(inner.BodyOffset, inner.BodyLength, null),
            _ => await HeaderFieldsAsync(inner, section, open, cancellationToken).ConfigureAwait(false),
        };
    }

    static async Task<SectionData?> HeaderFieldsAsync(BodyPart part, Section section, Func<Task<Stream>> open, CancellationToken cancellationToken)
    {
        var length = (int)Math.Min(part.HeaderLength, MaxHeaderRead);
        var header = new byte[length];
        var stream = await open().ConfigureAwait(false);
        stream.Seek(part.HeaderOffset, SeekOrigin.Begin);
        // Synchronous: a header is a few KB from the page cache; see FetchResponder.
        stream.ReadExactly(header);
        return new SectionData(0, 0, FilterHeader(header, section.Fields, section.Text == SectionText.HeaderFieldsNot));
    }

    /// <summary>Keeps (or drops, for .NOT) the named fields with their continuation lines, then the blank line
    /// (RFC 9051 6.4.5: the subset of the header, with its delimiting blank line).</summary>
    public static byte[] FilterHeader(ReadOnlySpan<byte> header, IReadOnlyList<string> fields, bool not)
    {
        // The subset is never longer than the header plus the blank line.
        var output = new byte[header.Length + 2];
        int written = 0;
        int i = 0;
        bool keep = false;
        while (i < header.Length)
        {
            int lf = header[i..].IndexOf((byte)'\n');
            int end = lf < 0 ? header.Length : i + lf + 1;
            var line = header[i..end];
            if (line.Length <= 2 && (line.SequenceEqual("\r\n"u8) || line.SequenceEqual("\n"u8)))
                break;
            if (line[0] is not ((byte)' ' or (byte)'\t'))
            {
                int colon = line.IndexOf((byte)':');
                var name = colon > 0 ? line[..colon].TrimEnd(" \t"u8) : [];
                keep = IsWanted(name, fields) != not;
            }
            if (keep)
            {
                line.CopyTo(output.AsSpan(written));
                written += line.Length;
            }
            i = end;
        }
        "\r\n"u8.CopyTo(output.AsSpan(written));
        written += 2;
        return written == output.Length ? output : output[..written];
    }

    static bool IsWanted(ReadOnlySpan<byte> name, IReadOnlyList<string> fields)
    {
        if (name.IsEmpty)
            return false;
        foreach (var field in fields)
        {
            // Field names are ASCII (RFC 5322 2.2); a name with other octets matches none.
            if (field.Length == name.Length && Ascii.EqualsIgnoreCase(name, field))
                return true;
        }
        return false;
    }
}
