// Generates Unity scripts for a prompt with SparkClient.GenerateAsync, printing progress, the files
// and the diagnostics. Providers and keys come from the environment (offline scaffold without keys).
//
//   cargo build -p spark-ffi --release
//   mcs -target:library -out:target/Spark.dll spark-ffi/csharp/*.cs
//   mcs -r:target/Spark.dll -out:target/Generate.exe spark-ffi/csharp/examples/Generate.cs
//   LD_LIBRARY_PATH=target/release mono target/Generate.exe "a door that opens when the player is near"
using System;
using System.Threading.Tasks;
using Spark;

internal static class Generate
{
    private sealed class ConsoleProgress : IProgress<SparkEvent>
    {
        public void Report(SparkEvent e)
        {
            if (e.Kind == SparkEventKind.Delta) Console.Error.Write('.');
            else Console.Error.WriteLine("\n[" + e.Type + "]" + (e.Provider != null ? " " + e.Provider + " " + e.Model : ""));
        }
    }

    private static async Task<int> Run(string prompt)
    {
        Console.WriteLine("spark " + SparkClient.NativeVersion);
        using (var client = new SparkClient())
        {
            try
            {
                GeneratedScripts result = await client.GenerateAsync(prompt, new ConsoleProgress());
                foreach (ScriptFile f in result.Files) Console.WriteLine("// ---- " + f.Path + "\n" + f.Content);
                foreach (Diagnostic d in result.Diagnostics) Console.WriteLine(d);
                Console.WriteLine("provider " + result.Provider + ", " + result.Usage.InputTokens + " in / " +
                                  result.Usage.OutputTokens + " out tokens");
                return 0;
            }
            catch (SparkException e)
            {
                Console.Error.WriteLine("error " + e.Code + ": " + e.Message);
                return 1;
            }
        }
    }

    private static int Main(string[] args)
    {
        return Run(args.Length > 0 ? args[0] : "a rotating pickup that plays a sound").Result;
    }
}
