#include "perf/options.h"

#include <cstdio>
#include <cstdlib>
#include <functional>

#include "perf/perf_math.h"

namespace lioncub::perf {

const char* const kAllAlgos[7] = {"full",          "mean",      "allgather-vote",
                                  "alltoall-vote", "quant2-rs", "packed-sum", "lion-step"};

namespace {

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "lioncub-perf: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

void usage() {
  std::printf(
      "usage: lioncub-perf [options]     (nccl-tests' options, plus lioncub's)\n"
      "  -b,--minbytes <4K>       -e,--maxbytes <64M>     sizes: bytes of the fp32 gradient\n"
      "  -f,--stepfactor <2>      -i,--stepbytes <bytes>  multiply by -f, or add -i (with -f 1)\n"
      "  -n,--iters <20>          -w,--warmup_iters <5>\n"
      "  -c,--check <1>           check iterations per size (0: none; #wrong prints -1)\n"
      "  -a,--average <1>         time over ranks: 0 rank 0, 1 mean (nccl-tests' default), 2 min, 3 max\n"
      "  -d,--datatype <float>    -o,--op <sum|avg>       op of the float algorithms (default:\n"
      "                           full sums, mean averages)\n"
      "  -T,--timeout <s>         seconds per collective (LIONCUB_TIMEOUT_MS); 0: the default\n"
      "  -J,--output_file <FILE>  JSON report (also --json FILE)\n"
      "  -A,--algo <ALGO[,ALGO...]|all>   one table per algorithm:");
  for (const char* a : kAllAlgos) std::printf(" %s", a);
  std::printf(
      "\n"
      "  --np <N>                 fork N ranks on loopback (default: a launcher's ranks, or 2)\n"
      "  --tie <zero|alternate>   --link-rate <RATE>  (tc units; default LIONCUB_LINK_RATE)\n"
      "  --cluster-rate <RATE> [--flow-cap <CAP>]     the --np ranks on emulated hosts (root)\n");
  std::exit(0);
}

long parse_int(const std::string& name, const std::string& v) {
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 0);
  if (v.empty() || *end != '\0') fail(name + " wants an integer, not '" + v + "'");
  return x;
}

std::uint64_t parse_bytes(const std::string& name, const std::string& v) {
  const auto b = parse_size(v);
  if (!b) fail(name + " wants a size like 4096, 4K, 16M or 1G, not '" + v + "'");
  return *b;
}

std::vector<std::string> split_algos(const std::string& list) {
  std::vector<std::string> out;
  if (list == "all") return {std::begin(kAllAlgos), std::end(kAllAlgos)};
  for (std::size_t pos = 0; pos <= list.size();) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    const std::string name = list.substr(pos, comma - pos);
    lioncubAlgorithm_t algo;
    if (name != "lion-step" && (lioncubAlgorithmFromName(name.c_str(), &algo) != lioncubSuccess ||
                                algo == lioncubAlgoAuto))
      fail("unknown algorithm '" + name + "'");
    out.push_back(name);
    pos = comma + 1;
  }
  return out;
}

struct Spec {
  char letter;       // 0: long name only
  const char* name;  // long name without "--"
  bool forwarded;    // given to each rank of a --cluster-rate run
  std::function<void(const std::string&)> set;
};

}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  std::string algos = "all";
  bool factor_given = false, step_given = false;
  const std::vector<Spec> specs = {
      {'b', "minbytes", true, [&](const std::string& v) { o.min_bytes = parse_bytes("-b", v); }},
      {'e', "maxbytes", true, [&](const std::string& v) { o.max_bytes = parse_bytes("-e", v); }},
      {'f', "stepfactor", true,
       [&](const std::string& v) {
         o.step_factor = std::atof(v.c_str());
         factor_given = true;
       }},
      {'i', "stepbytes", true,
       [&](const std::string& v) {
         o.step_bytes = parse_bytes("-i", v);
         step_given = true;
       }},
      {'n', "iters", true, [&](const std::string& v) { o.iters = int(parse_int("-n", v)); }},
      {'w', "warmup_iters", true, [&](const std::string& v) { o.warmup = int(parse_int("-w", v)); }},
      {'c', "check", true, [&](const std::string& v) { o.check = int(parse_int("-c", v)); }},
      {'a', "average", true,
       [&](const std::string& v) {
         char* end = nullptr;
         const long x = std::strtol(v.c_str(), &end, 0);
         if (v.empty() || *end != '\0' || x < 0 || x > 3)
           fail("-a/--average takes 0 (rank 0), 1 (mean), 2 (min) or 3 (max) as in nccl-tests, "
                "not '" + v + "'; algorithms are chosen with -A/--algo " + v);
         o.average = int(x);
       }},
      {'d', "datatype", true,
       [&](const std::string& v) {
         if (v != "float" && v != "float32" && v != "f32")
           fail("-d " + v + ": the collectives take float only (bf16 on the wire is not "
                "implemented yet)");
       }},
      {'o', "op", true,
       [&](const std::string& v) {
         if (v != "sum" && v != "avg")
           fail("-o " + v + ": lioncub's float allreduce has sum and avg only");
         o.op = v;
       }},
      {'T', "timeout", true, [&](const std::string& v) { o.timeout_s = int(parse_int("-T", v)); }},
      {'J', "output_file", true, [&](const std::string& v) { o.output_file = v; }},
      {0, "json", true, [&](const std::string& v) { o.output_file = v; }},
      {'A', "algo", true, [&](const std::string& v) { algos = v; }},
      {0, "algos", true, [&](const std::string& v) { algos = v; }},  // the spelling before -A
      {0, "np", false, [&](const std::string& v) { o.np = int(parse_int("--np", v)); }},
      {0, "tie", true,
       [&](const std::string& v) {
         if (v == "zero") o.tie = lioncubTieZero;
         else if (v == "alternate") o.tie = lioncubTieAlternate;
         else fail("--tie wants zero or alternate, not '" + v + "'");
       }},
      {0, "link-rate", true, [&](const std::string& v) { o.link_rate = v; }},
      {0, "cluster-rate", false, [&](const std::string& v) { o.cluster_rate = v; }},
      {0, "flow-cap", false, [&](const std::string& v) { o.flow_cap = v; }},
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") usage();
    if (arg == "--plant-wrong-for-test") {
      o.plant_wrong = true;
      o.rank_args.push_back(arg);
      continue;
    }
    // -x V, -xV, --name V, --name=V
    const Spec* spec = nullptr;
    std::string value;
    bool inline_value = false;
    if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
      for (const Spec& s : specs)
        if (s.letter == arg[1]) spec = &s;
      if (arg.size() > 2) value = arg.substr(2), inline_value = true;
    } else if (arg.rfind("--", 0) == 0) {
      const std::size_t eq = arg.find('=');
      const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      for (const Spec& s : specs)
        if (name == s.name) spec = &s;
      if (eq != std::string::npos) value = arg.substr(eq + 1), inline_value = true;
    }
    if (spec == nullptr) fail("unknown option " + arg);
    if (!inline_value) {
      if (i + 1 >= argc) fail("option " + arg + " needs a value");
      value = argv[++i];
    }
    spec->set(value);
    if (spec->forwarded) {
      o.rank_args.push_back(std::string("--") + spec->name);
      o.rank_args.push_back(value);
    }
  }
  if (step_given && !factor_given) o.step_factor = 1;  // -i alone: add, as nccl-tests does
  if (o.step_factor < 1 || (o.step_factor == 1 && o.step_bytes == 0))
    fail("-f must be > 1, or -f 1 with -i > 0");
  if (o.iters < 1 || o.warmup < 0 || o.check < 0 || o.timeout_s < 0 || o.np < 0)
    fail("-n must be >= 1; -w, -c, -T and --np >= 0");
  if (o.min_bytes > o.max_bytes) fail("-b is larger than -e");
  o.algos = split_algos(algos);
  return o;
}

std::vector<std::uint64_t> table_sizes(const Options& o) {
  std::vector<std::uint64_t> sizes;
  for (double size = double(o.min_bytes); size <= double(o.max_bytes) * (1 + 1e-9);
       size = o.step_factor > 1 ? size * o.step_factor : size + double(o.step_bytes)) {
    sizes.push_back(static_cast<std::uint64_t>(size) / 4 * 4);
  }
  return sizes;
}

}  // namespace lioncub::perf
