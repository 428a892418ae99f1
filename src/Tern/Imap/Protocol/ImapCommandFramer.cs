using System.Buffers;

namespace Tern.Imap.Protocol;

public enum FrameStatus
{
    /// <summary>More octets are needed.</summary>
    NeedMore,
    /// <summary>A whole command is ready in <see cref="FrameResult.Command"/>.</summary>
    Complete,
    /// <summary>A line ended with a literal announcement; the caller calls <see cref="ImapCommandFramer.AcceptLiteral"/>
    /// or <see cref="ImapCommandFramer.Reset"/> before reading on.</summary>
    LiteralAnnounced,
    /// <summary>Octets of a literal the caller keeps itself (<see cref="FrameResult.Data"/>, valid until the buffer is advanced).</summary>
    LiteralData,
    /// <summary>The command text passed the line limit; it was read to its line end and dropped.</summary>
    LineTooLong,
}

/// <param name="LiteralSize">For <see cref="FrameStatus.LiteralAnnounced"/>.</param>
/// <param name="NonSynchronizing">A <c>{n+}</c> or <c>{n-}</c> literal: the client does not wait for "+" (RFC 7888).</param>
/// <param name="TagHint">For <see cref="FrameStatus.LineTooLong"/> and refused literals: the tag, if one was readable.</param>
public readonly record struct FrameResult(
    FrameStatus Status, RawCommand? Command = null, long LiteralSize = 0, bool NonSynchronizing = false,
    ReadOnlySequence<byte> Data = default, string? TagHint = null, bool Binary = false);

/// <summary>Splits the client's octet stream into commands (RFC 9051 2.2.1, 4.3): command text up to CRLF, where a line
/// that ends in a literal announcement continues after the literal's octets. Resumable at any octet boundary.</summary>
/// <remarks>
/// <code>
/// literal  = "{" number64 ["+"] "}" CRLF *CHAR8      ; RFC 9051 9, RFC 7888 ("{n-}" for LITERAL-)
/// literal8 = "~{" number64 "}" CRLF *OCTET           ; RFC 3516
/// </code>
/// Lines are capped before they are kept (<paramref name="maxLineLength"/> for the whole command text without literals).
/// A bare LF is taken as a line end, as Dovecot does.
/// </remarks>
public sealed class ImapCommandFramer(int maxLineLength, int maxLiterals = 1000)
{
    enum State { Line, DiscardLine, AwaitDecision, LiteralToMemory, LiteralExternal }

    readonly List<byte> text = [];
    readonly List<(int, ImapLiteral)> literals = [];
    State state;
    long remaining;
    byte[]? literalBuffer;
    int literalFilled;
    bool literalBinary;
    long announcedSize;
    string? discardedTag;

    /// <summary>Octets of the literals held in memory for the current command.</summary>
    public long InMemoryLiteralBytes { get; private set; }

    /// <summary>True while a command has started but is not complete.</summary>
    public bool InCommand => text.Count > 0 || state != State.Line;

    public FrameResult Read(ref SequenceReader<byte> reader)
    {
        while (true)
        {
            switch (state)
            {
                case State.Line:
                {
                    if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
                    {
                        if (text.Count + reader.Remaining > maxLineLength + 1)
                        {
                            discardedTag = TagOf(text, reader.UnreadSequence);
                            reader.Advance(reader.Remaining);
                            state = State.DiscardLine;
                        }
                        return new FrameResult(FrameStatus.NeedMore);
                    }
                    long length = line.Length;
                    if (length > 0 && line.Slice(length - 1).FirstSpan[0] == (byte)'\r')
                        length--;
                    if (text.Count + length > maxLineLength)
                    {
                        var tag = TagOf(text, line);
                        ResetCommand();
                        return new FrameResult(FrameStatus.LineTooLong, TagHint: tag);
                    }
                    int lineStart = text.Count;
                    foreach (var segment in line.Slice(0, length))
                        text.AddRange(segment.Span);
                    if (TryLiteralAnnouncement(lineStart, out var size, out var nonSync, out var binary))
                    {
                        if (literals.Count >= maxLiterals)
                        {
                            var tag = TagOf(text, default);
                            ResetCommand();
                            return new FrameResult(FrameStatus.LineTooLong, TagHint: tag);
                        }
                        state = State.AwaitDecision;
                        announcedSize = size;
                        literalBinary = binary;
                        return new FrameResult(FrameStatus.LiteralAnnounced, LiteralSize: size, NonSynchronizing: nonSync,
                            TagHint: TagOf(text, default), Binary: binary);
                    }
                    var command = new RawCommand([.. text], [.. literals]);
                    text.Clear();
                    literals.Clear();
                    InMemoryLiteralBytes = 0;
                    return new FrameResult(FrameStatus.Complete, command);
                }
                case State.DiscardLine:
                {
                    if (!reader.TryAdvanceTo((byte)'\n', advancePastDelimiter: true))
                    {
                        reader.Advance(reader.Remaining);
                        return new FrameResult(FrameStatus.NeedMore);
                    }
                    var tag = discardedTag;
                    ResetCommand();
                    return new FrameResult(FrameStatus.LineTooLong, TagHint: tag);
                }
                case State.AwaitDecision:
                    throw new InvalidOperationException("AcceptLiteral or Reset must be called after LiteralAnnounced.");
                case State.LiteralToMemory:
                {
                    int take = (int)Math.Min(remaining, reader.Remaining);
                    if (take == 0 && remaining > 0)
                        return new FrameResult(FrameStatus.NeedMore);
                    reader.UnreadSequence.Slice(0, take).CopyTo(literalBuffer.AsSpan(literalFilled));
                    reader.Advance(take);
                    literalFilled += take;
                    remaining -= take;
                    if (remaining == 0)
                    {
                        literals.Add((text.Count, ImapLiteral.InMemory(literalBuffer!, literalBinary)));
                        literalBuffer = null;
                        state = State.Line;
                    }
                    continue;
                }
                case State.LiteralExternal:
                {
                    if (remaining == 0)
                    {
                        state = State.Line;
                        continue;
                    }
                    long take = Math.Min(remaining, reader.Remaining);
                    if (take == 0)
                        return new FrameResult(FrameStatus.NeedMore);
                    var data = reader.UnreadSequence.Slice(0, take);
                    reader.Advance(take);
                    remaining -= take;
                    if (remaining == 0)
                        state = State.Line;
                    return new FrameResult(FrameStatus.LiteralData, Data: data);
                }
            }
        }
    }

    /// <summary>Goes on with the announced literal. With <paramref name="external"/> null the octets are kept in memory
    /// (the caller has checked the size against its in-memory budget); otherwise they are handed out as
    /// <see cref="FrameStatus.LiteralData"/> and <paramref name="external"/> (holding them by then) joins the command.</summary>
    public void AcceptLiteral(ImapLiteral? external)
    {
        if (state != State.AwaitDecision)
            throw new InvalidOperationException("No literal was announced.");
        remaining = announcedSize;
        if (external is null)
        {
            // Allocated only after the caller's budget check, and the budget is small (RFC 9051 4.3 literals of commands).
            literalBuffer = new byte[announcedSize];
            literalFilled = 0;
            InMemoryLiteralBytes += announcedSize;
            state = State.LiteralToMemory;
        }
        else
        {
            literals.Add((text.Count, external));
            state = State.LiteralExternal;
        }
    }

    /// <summary>Drops the command in progress (a refused literal: the client abandons the command, RFC 9051 7.5).</summary>
    public void Reset() => ResetCommand();

    void ResetCommand()
    {
        foreach (var (_, l) in literals)
            l.Dispose();
        text.Clear();
        literals.Clear();
        literalBuffer = null;
        InMemoryLiteralBytes = 0;
        state = State.Line;
        discardedTag = null;
    }

    /// <summary>Recognises "{123}", "{123+}", "{123-}" or "~{123}" at the end of the text.</summary>
    bool TryLiteralAnnouncement(int lineStart, out long size, out bool nonSync, out bool binary)
    {
        size = 0;
        nonSync = false;
        binary = false;
        int end = text.Count - 1;
        if (end < lineStart + 2 || text[end] != (byte)'}')
            return false;
        int i = end - 1;
        if (text[i] is (byte)'+' or (byte)'-')
        {
            nonSync = true;
            i--;
        }
        int digitsEnd = i;
        while (i >= lineStart && text[i] is >= (byte)'0' and <= (byte)'9')
            i--;
        if (i == digitsEnd || i < lineStart || text[i] != (byte)'{' || digitsEnd - i > 19)
            return false;
        long value = 0;
        for (int k = i + 1; k <= digitsEnd; k++)
        {
            int digit = text[k] - '0';
            if (value > (long.MaxValue - digit) / 10)
                return false;
            value = value * 10 + digit;
        }
        binary = i > 0 && text[i - 1] == (byte)'~';
        size = value;
        return true;
    }

    static string? TagOf(List<byte> text, ReadOnlySequence<byte> more)
    {
        Span<byte> head = stackalloc byte[64];
        int n = 0;
        foreach (var b in text)
        {
            if (n == head.Length) break;
            head[n++] = b;
        }
        if (n < head.Length && !more.IsEmpty)
        {
            var extra = more.Slice(0, Math.Min(more.Length, head.Length - n));
            extra.CopyTo(head[n..]);
            n += (int)extra.Length;
        }
        int sp = head[..n].IndexOf((byte)' ');
        if (sp <= 0)
            return null;
        var tag = head[..sp];
        foreach (var b in tag)
        {
            if (!ImapChars.IsTagChar(b))
                return null;
        }
        return System.Text.Encoding.ASCII.GetString(tag);
    }
}
