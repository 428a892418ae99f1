using System.Buffers;
using System.Text;
using Tern.Imap.Protocol;

namespace Tern.Tests.Imap;

/// <summary>Feeds a framer the way the pipe would: in chunks of any size, as multi-segment sequences, keeping unread
/// octets for the next call. Literals are accepted in memory and "+" continuations counted.</summary>
sealed class FramerDriver(int maxLine = 8192, long maxLiteral = 1 << 20)
{
    public ImapCommandFramer Framer { get; } = new(maxLine);
    public List<RawCommand> Commands { get; } = [];
    public List<FrameResult> Events { get; } = [];
    public int Continuations { get; private set; }
    byte[] pending = [];

    public void Feed(byte[] data, int chunk, int segment = 1)
    {
        for (int i = 0; i < data.Length; i += chunk)
        {
            var piece = data.AsSpan(i, Math.Min(chunk, data.Length - i)).ToArray();
            var all = pending.Concat(piece).ToArray();
            var seq = Segmented(all, segment);
            var reader = new SequenceReader<byte>(seq);
            while (true)
            {
                var r = Framer.Read(ref reader);
                Events.Add(r);
                if (r.Status == FrameStatus.NeedMore)
                    break;
                if (r.Status == FrameStatus.Complete)
                    Commands.Add(r.Command!);
                if (r.Status == FrameStatus.LiteralAnnounced)
                {
                    if (r.LiteralSize > maxLiteral)
                    {
                        Framer.Reset();
                        continue;
                    }
                    if (!r.NonSynchronizing)
                        Continuations++;
                    Framer.AcceptLiteral(null);
                }
                if (reader.End && r.Status != FrameStatus.LiteralAnnounced)
                    break;
            }
            pending = seq.Slice(reader.Position).ToArray();
        }
    }

    public void Feed(string data, int chunk, int segment = 1) => Feed(Encoding.UTF8.GetBytes(data), chunk, segment);

    /// <summary>A sequence made of segments of <paramref name="size"/> octets.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, int size)
    {
        if (data.Length == 0)
            return ReadOnlySequence<byte>.Empty;
        Segment? first = null, last = null;
        for (int i = 0; i < data.Length; i += size)
        {
            var mem = data.AsMemory(i, Math.Min(size, data.Length - i));
            if (first is null)
                first = last = new Segment(mem, 0);
            else
                last = last!.Append(mem);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    public static ImapArgumentReader Args(string text, int depth = 16) =>
        new(new RawCommand(Encoding.UTF8.GetBytes(text), []), depth);
}
