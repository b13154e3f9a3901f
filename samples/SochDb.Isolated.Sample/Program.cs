using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Sample;
using SochDb.Isolated.Supervisor;

// A minimal service that embeds the supervisor: one plugin, a console workload that calls it, and the supervisor's
// statistics (and any "SochDb.Isolated" meter instruments) printed while it runs and at the end.
//   dotnet run --project samples/SochDb.Isolated.Sample -- --Sample:Calls=500 --Sample:StatsIntervalSeconds=1
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.Configure<SampleOptions>(builder.Configuration.GetSection("Sample"));
builder.Services.AddSingleton(services => new PluginSupervisor(new PluginSupervisorOptions(), services.GetRequiredService<ILoggerFactory>()));
builder.Services.AddSingleton<MetricsConsole>();
builder.Services.AddHostedService<PluginWorkload>();

using var host = builder.Build();
await host.RunAsync();
return Environment.ExitCode;
