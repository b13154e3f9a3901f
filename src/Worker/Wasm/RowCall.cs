using System.Globalization;
using System.Runtime.CompilerServices;
using Wasmtime;

namespace SochDb.Isolated.Worker.Wasm;

/// <summary>
/// Calls one export with arguments and results as raw bits (the packed batch format), through Wasmtime's typed
/// wrappers where the signature has at most two parameters and one result, all numeric: a typed call costs about
/// 50 ns where the untyped <see cref="Function.Invoke(ValueBox[])"/> costs about 380 ns (BenchmarkDotNet
/// <c>WasmCall</c>), which is most of a batch row's time in the worker. Other numeric signatures go through the
/// untyped call with one reused argument array.
/// </summary>
/// <remarks>
/// Every typed instantiation is reached through the switches below with concrete type arguments, so a Native AOT
/// build compiles all of them ahead of time; nothing is made by reflection. Traps surface as Wasmtime's exceptions,
/// exactly as from the untyped call.
/// </remarks>
internal abstract class RowCall
{
    /// <summary>Calls the export.</summary>
    /// <param name="args">The arguments' raw bits, one per parameter.</param>
    /// <param name="results">Receives the results' raw bits, one per result.</param>
    public abstract void Call(ReadOnlySpan<long> args, Span<long> results);

    /// <summary>Binds an export whose parameters and results are all numeric.</summary>
    /// <param name="function">The export.</param>
    /// <returns>The call, or <see langword="null"/> when a parameter or result is not numeric.</returns>
    public static RowCall? Create(Function function)
    {
        var parameters = function.Parameters;
        var results = function.Results;
        if (!parameters.All(IsNumeric) || !results.All(IsNumeric))
        {
            return null;
        }

        var typed = (parameters.Count, results.Count) switch
        {
            (0, <= 1) => Bind0(function, results),
            (1, <= 1) => parameters[0] switch
            {
                ValueKind.Int32 => Bind1<int>(function, results),
                ValueKind.Int64 => Bind1<long>(function, results),
                ValueKind.Float32 => Bind1<float>(function, results),
                _ => Bind1<double>(function, results),
            },
            (2, <= 1) => parameters[0] switch
            {
                ValueKind.Int32 => Second<int>(function, parameters[1], results),
                ValueKind.Int64 => Second<long>(function, parameters[1], results),
                ValueKind.Float32 => Second<float>(function, parameters[1], results),
                _ => Second<double>(function, parameters[1], results),
            },
            _ => null,
        };
        return typed ?? new Untyped(function);
    }

    private static bool IsNumeric(ValueKind kind) => kind is ValueKind.Int32 or ValueKind.Int64 or ValueKind.Float32 or ValueKind.Float64;

    private static RowCall? Bind0(Function f, IReadOnlyList<ValueKind> results) => results.Count == 0
        ? Wrap(f.WrapAction())
        : results[0] switch
        {
            ValueKind.Int32 => Wrap(f.WrapFunc<int>()),
            ValueKind.Int64 => Wrap(f.WrapFunc<long>()),
            ValueKind.Float32 => Wrap(f.WrapFunc<float>()),
            _ => Wrap(f.WrapFunc<double>()),
        };

    private static RowCall? Bind1<T1>(Function f, IReadOnlyList<ValueKind> results) => results.Count == 0
        ? Wrap(f.WrapAction<T1>())
        : results[0] switch
        {
            ValueKind.Int32 => Wrap(f.WrapFunc<T1, int>()),
            ValueKind.Int64 => Wrap(f.WrapFunc<T1, long>()),
            ValueKind.Float32 => Wrap(f.WrapFunc<T1, float>()),
            _ => Wrap(f.WrapFunc<T1, double>()),
        };

    private static RowCall? Second<T1>(Function f, ValueKind second, IReadOnlyList<ValueKind> results) => second switch
    {
        ValueKind.Int32 => Bind2<T1, int>(f, results),
        ValueKind.Int64 => Bind2<T1, long>(f, results),
        ValueKind.Float32 => Bind2<T1, float>(f, results),
        _ => Bind2<T1, double>(f, results),
    };

    private static RowCall? Bind2<T1, T2>(Function f, IReadOnlyList<ValueKind> results) => results.Count == 0
        ? Wrap(f.WrapAction<T1, T2>())
        : results[0] switch
        {
            ValueKind.Int32 => Wrap(f.WrapFunc<T1, T2, int>()),
            ValueKind.Int64 => Wrap(f.WrapFunc<T1, T2, long>()),
            ValueKind.Float32 => Wrap(f.WrapFunc<T1, T2, float>()),
            _ => Wrap(f.WrapFunc<T1, T2, double>()),
        };

    private static Action0? Wrap(Action? action) => action is null ? null : new Action0(action);

    private static Func0<TR>? Wrap<TR>(Func<TR>? func) => func is null ? null : new Func0<TR>(func);

    private static Action1<T1>? Wrap<T1>(Action<T1>? action) => action is null ? null : new Action1<T1>(action);

    private static Func1<T1, TR>? Wrap<T1, TR>(Func<T1, TR>? func) => func is null ? null : new Func1<T1, TR>(func);

    private static Action2<T1, T2>? Wrap<T1, T2>(Action<T1, T2>? action) => action is null ? null : new Action2<T1, T2>(action);

    private static Func2<T1, T2, TR>? Wrap<T1, T2, TR>(Func<T1, T2, TR>? func) => func is null ? null : new Func2<T1, T2, TR>(func);

    /// <summary>Reads raw bits as a wasm value of type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T"><see cref="int"/>, <see cref="long"/>, <see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="bits">The bits (an <c>f32</c> in the low 32).</param>
    /// <returns>The value.</returns>
    internal static T FromBits<T>(long bits)
    {
        // The type tests are constants per instantiation: the JIT and the AOT compiler keep one branch.
        if (typeof(T) == typeof(int))
        {
            var value = (int)bits;
            return Unsafe.As<int, T>(ref value);
        }

        if (typeof(T) == typeof(long))
        {
            return Unsafe.As<long, T>(ref bits);
        }

        if (typeof(T) == typeof(float))
        {
            var value = BitConverter.Int32BitsToSingle((int)bits);
            return Unsafe.As<float, T>(ref value);
        }

        var number = BitConverter.Int64BitsToDouble(bits);
        return Unsafe.As<double, T>(ref number);
    }

    /// <summary>Writes a wasm value as raw bits, the way <c>WireValue.Bits</c> holds it (an <c>i32</c> or <c>f32</c> sign-extended).</summary>
    /// <typeparam name="T"><see cref="int"/>, <see cref="long"/>, <see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The bits.</returns>
    internal static long ToBits<T>(T value)
    {
        if (typeof(T) == typeof(int))
        {
            return Unsafe.As<T, int>(ref value);
        }

        if (typeof(T) == typeof(long))
        {
            return Unsafe.As<T, long>(ref value);
        }

        if (typeof(T) == typeof(float))
        {
            return BitConverter.SingleToInt32Bits(Unsafe.As<T, float>(ref value));
        }

        return BitConverter.DoubleToInt64Bits(Unsafe.As<T, double>(ref value));
    }

    private sealed class Action0(Action call) : RowCall
    {
        public override void Call(ReadOnlySpan<long> args, Span<long> results) => call();
    }

    private sealed class Func0<TR>(Func<TR> call) : RowCall
    {
        public override void Call(ReadOnlySpan<long> args, Span<long> results) => results[0] = ToBits(call());
    }

    private sealed class Action1<T1>(Action<T1> call) : RowCall
    {
        public override void Call(ReadOnlySpan<long> args, Span<long> results) => call(FromBits<T1>(args[0]));
    }

    private sealed class Func1<T1, TR>(Func<T1, TR> call) : RowCall
    {
        public override void Call(ReadOnlySpan<long> args, Span<long> results) => results[0] = ToBits(call(FromBits<T1>(args[0])));
    }

    private sealed class Action2<T1, T2>(Action<T1, T2> call) : RowCall
    {
        public override void Call(ReadOnlySpan<long> args, Span<long> results) => call(FromBits<T1>(args[0]), FromBits<T2>(args[1]));
    }

    private sealed class Func2<T1, T2, TR>(Func<T1, T2, TR> call) : RowCall
    {
        public override void Call(ReadOnlySpan<long> args, Span<long> results) => results[0] = ToBits(call(FromBits<T1>(args[0]), FromBits<T2>(args[1])));
    }

    /// <summary>Any other numeric signature: the untyped call, its argument array reused from row to row.</summary>
    private sealed class Untyped : RowCall
    {
        private readonly Function function;
        private readonly ValueKind[] parameters;
        private readonly ValueKind[] resultKinds;
        private readonly ValueBox[] boxes;

        public Untyped(Function function)
        {
            this.function = function;
            parameters = [.. function.Parameters];
            resultKinds = [.. function.Results];
            boxes = new ValueBox[parameters.Length];
        }

        public override void Call(ReadOnlySpan<long> args, Span<long> results)
        {
            for (var i = 0; i < boxes.Length; i++)
            {
                // Each arm is cast on its own: a conditional over all four would widen every one to double.
                boxes[i] = parameters[i] switch
                {
                    ValueKind.Int32 => (ValueBox)(int)args[i],
                    ValueKind.Int64 => (ValueBox)args[i],
                    ValueKind.Float32 => (ValueBox)BitConverter.Int32BitsToSingle((int)args[i]),
                    _ => (ValueBox)BitConverter.Int64BitsToDouble(args[i]),
                };
            }

            var raw = function.Invoke(boxes);
            for (var i = 0; i < resultKinds.Length; i++)
            {
                var value = resultKinds.Length == 1 ? raw : ((object?[])raw!)[i];
                results[i] = resultKinds[i] switch
                {
                    ValueKind.Int32 => Convert.ToInt32(value, CultureInfo.InvariantCulture),
                    ValueKind.Int64 => Convert.ToInt64(value, CultureInfo.InvariantCulture),
                    ValueKind.Float32 => BitConverter.SingleToInt32Bits(Convert.ToSingle(value, CultureInfo.InvariantCulture)),
                    _ => BitConverter.DoubleToInt64Bits(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
                };
            }
        }
    }
}
