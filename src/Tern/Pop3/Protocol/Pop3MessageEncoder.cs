using System.Buffers;

namespace Tern.Pop3.Protocol;

/// <summary>Turns a stored message into the body of a RETR or TOP response, chunk by chunk, so that a message of any
/// size goes out without being held in memory. Pure: bytes in, bytes into an <see cref="IBufferWriter{T}"/>.</summary>
/// <remarks>
/// RFC 1939 3: every line of a multi-line response ends with CRLF and a line that starts with the termination octet
/// is byte-stuffed with one more '.'. The store keeps CRLF line ends; a bare LF (which a store must not hold, but a
/// hand-copied file might) still goes out as CRLF so that a client never sees a broken line.
/// The terminating ".CRLF" is not written here.
/// For TOP (RFC 1939 7) the header, the blank line after it and then <c>n</c> lines of the body are sent.
/// </remarks>
public sealed class Pop3MessageEncoder
{
    readonly long? bodyLineLimit;
    bool atLineStart = true;
    bool lastWasCr;
    long lineLength;
    bool inHeader = true;
    long bodyLinesSent;

    /// <param name="bodyLineLimit">For TOP, how many body lines to send; null for RETR (everything).</param>
    public Pop3MessageEncoder(long? bodyLineLimit = null)
    {
        this.bodyLineLimit = bodyLineLimit;
        if (bodyLineLimit is < 0)
            throw new ArgumentOutOfRangeException(nameof(bodyLineLimit));
    }

    /// <summary>True once TOP has sent all it should: the rest of the message need not be read.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Octets of the message as the client sees it after removing the stuffing (RFC 1939 11).</summary>
    public long MessageOctets { get; private set; }

    /// <summary>Encodes the next piece of the message. Returns false when nothing more is wanted (TOP is done).</summary>
    public bool Encode(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        while (!input.IsEmpty && !IsComplete)
        {
            if (atLineStart && input[0] == (byte)'.')
            {
                // RFC 1939 3: "the line is byte-stuffed by pre-pending the termination octet to that line".
                output.Write("."u8);
            }
            int lf = input.IndexOf((byte)'\n');
            var run = lf < 0 ? input : input[..lf];
            if (!run.IsEmpty)
            {
                output.Write(run);
                MessageOctets += run.Length;
                lineLength += run.Length;
                lastWasCr = run[^1] == (byte)'\r';
                atLineStart = false;
            }
            if (lf < 0)
                break;
            EndLine(output);
            input = input[(lf + 1)..];
        }
        return !IsComplete;
    }

    /// <summary>Ends the message: a last line without a line end gets its CRLF (RFC 1939 3 needs it before ".CRLF").</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (!atLineStart && !IsComplete)
            EndLine(output);
        IsComplete = true;
    }

    void EndLine(IBufferWriter<byte> output)
    {
        bool emptyLine = lineLength == 0 || (lineLength == 1 && lastWasCr);
        if (lastWasCr)
        {
            output.Write("\n"u8);
            MessageOctets += 1;
        }
        else
        {
            output.Write("\r\n"u8);
            MessageOctets += 2;
        }
        atLineStart = true;
        lastWasCr = false;
        lineLength = 0;

        if (bodyLineLimit is not { } limit)
            return;
        if (inHeader)
        {
            if (emptyLine)
            {
                inHeader = false;
                if (limit == 0)
                    IsComplete = true;
            }
        }
        else if (++bodyLinesSent >= limit)
        {
            IsComplete = true;
        }
    }
}
