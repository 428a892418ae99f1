namespace Tern.Smtp.Protocol;

/// <summary>What is wrong with received message data; reported after the data ended, so the reply comes at the
/// right point of the dialogue and nothing inside the data is ever read as a command.</summary>
[Flags]
public enum DataProblems
{
    None = 0,
    /// <summary>A CR not followed by LF, or an LF not preceded by CR (RFC 5321 2.3.8; SMTP smuggling).</summary>
    BareLineEnding = 1,
    /// <summary>A line longer than the limit (RFC 5321 4.5.3.1.6).</summary>
    LineTooLong = 2,
    /// <summary>An octet above 127 (RFC 6152: needs BODY=8BITMIME).</summary>
    EightBit = 4,
}

/// <summary>Decodes DATA (RFC 5321 4.1.1.4, 4.5.2) or checks a BDAT chunk (RFC 3030), byte by byte, with no I/O.</summary>
/// <remarks>
/// <para>The end of data is <c>CRLF "." CRLF</c> only, where the first CRLF may be the one that ended the DATA command.
/// <c>LF.LF</c>, <c>CR.CR</c>, <c>LF.CRLF</c> and <c>CR.LF</c> are never an end (CVE-2023-51764 and siblings): such
/// bytes stay data, and the data is rejected (or, when normalising, kept as a line holding a dot).</para>
/// <para>Dot-unstuffing (4.5.2): a line starting with "." loses that first dot when more characters follow.</para>
/// <para>Normalise mode turns a bare CR or bare LF into CRLF; reject mode keeps the bytes and reports
/// <see cref="DataProblems.BareLineEnding"/>. A line after a bare line ending is still dot-unstuffed but can never
/// end the data.</para>
/// </remarks>
public sealed class DataDecoder(bool dotTransparency, bool normalizeBareLineEndings, int maxLineLength)
{
    enum State
    {
        /// <summary>After CRLF (or at the start): a "." here may begin the end marker.</summary>
        LineStart,
        /// <summary>After a bare line end (normalise mode): a "." is unstuffed but cannot end the data.</summary>
        SoftLineStart,
        /// <summary>Saw "." at LineStart.</summary>
        Dot,
        /// <summary>Saw "." at SoftLineStart.</summary>
        SoftDot,
        /// <summary>Saw ".CR" at LineStart.</summary>
        DotCr,
        Middle,
        /// <summary>Saw CR inside a line; LF must follow.</summary>
        Cr,
    }

    State state = State.LineStart;
    int lineLength;

    public DataProblems Problems { get; private set; }

    /// <summary>True after the end marker was consumed (dot transparency only).</summary>
    public bool Completed { get; private set; }

    /// <summary>Octets written to the output so far (the real message size, RFC 1870 counts these).</summary>
    public long OutputLength { get; private set; }

    /// <summary>The largest output that <paramref name="inputLength"/> input octets can produce.</summary>
    public static int MaxOutputLength(int inputLength) => (inputLength * 2) + 2;

    /// <summary>Decodes until the input is used up or the end marker was consumed.</summary>
    /// <param name="output">At least <see cref="MaxOutputLength"/>(input.Length) octets.</param>
    /// <returns>Octets of <paramref name="input"/> consumed; bytes after the end marker belong to the next command.</returns>
    public int Decode(ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        int o = 0;
        int i = 0;
        while (i < input.Length && !Completed)
        {
            byte b = input[i];
            switch (state)
            {
                case State.LineStart when dotTransparency && b == '.':
                    state = State.Dot;
                    i++;
                    continue;
                case State.SoftLineStart when dotTransparency && b == '.':
                    state = State.SoftDot;
                    i++;
                    continue;
                case State.Dot:
                    if (b == '\r')
                    {
                        state = State.DotCr;
                        i++;
                        continue;
                    }
                    if (b is (byte)'\n')
                        Emit(output, ref o, (byte)'.'); // "." then a bare LF: a lone dot, not an end
                    // else: a stuffed dot, dropped; b is the line's first real character
                    state = State.Middle;
                    continue; // reprocess b
                case State.SoftDot:
                    if (b is (byte)'\r' or (byte)'\n')
                        Emit(output, ref o, (byte)'.');
                    state = State.Middle;
                    continue;
                case State.DotCr:
                    if (b == '\n')
                    {
                        Completed = true; // CRLF "." CRLF
                        i++;
                        continue;
                    }
                    // ".CR" then something else: a lone dot and a bare CR (the "CR.CR" family), not an end.
                    Emit(output, ref o, (byte)'.');
                    BareLineEnd(output, ref o, (byte)'\r');
                    continue; // reprocess b
                case State.Cr:
                    if (b == '\n')
                    {
                        Emit(output, ref o, (byte)'\r');
                        Emit(output, ref o, (byte)'\n');
                        state = State.LineStart;
                        lineLength = 0;
                        i++;
                        continue;
                    }
                    BareLineEnd(output, ref o, (byte)'\r');
                    continue; // reprocess b
            }

            // LineStart, SoftLineStart or Middle with an ordinary byte, CR or LF.
            if (b == '\r')
            {
                state = State.Cr;
            }
            else if (b == '\n')
            {
                BareLineEnd(output, ref o, (byte)'\n');
            }
            else
            {
                if (b > 127)
                    Problems |= DataProblems.EightBit;
                Emit(output, ref o, b);
                state = State.Middle;
            }
            i++;
        }
        written = o;
        OutputLength += o;
        return i;
    }

    /// <summary>BDAT LAST: a CR at the very end of the message had no LF (a bare CR). Returns octets written.</summary>
    public int Finish(Span<byte> output)
    {
        int o = 0;
        if (state == State.Cr)
            BareLineEnd(output, ref o, (byte)'\r');
        OutputLength += o;
        return o;
    }

    void BareLineEnd(Span<byte> output, ref int o, byte b)
    {
        Problems |= DataProblems.BareLineEnding;
        if (normalizeBareLineEndings)
        {
            Emit(output, ref o, (byte)'\r');
            Emit(output, ref o, (byte)'\n');
            state = State.SoftLineStart;
            lineLength = 0;
        }
        else
        {
            Emit(output, ref o, b);
            state = State.Middle;
        }
    }

    void Emit(Span<byte> output, ref int o, byte b)
    {
        output[o++] = b;
        if (b is not (byte)'\r' and not (byte)'\n' && ++lineLength > maxLineLength)
            Problems |= DataProblems.LineTooLong;
    }
}
