// Writes Fashion-MNIST (Debian's dataset-fashion-mnist) as COPY text for Postgres: one line per image,
// "id<TAB>label<TAB>{p1,...,p784}", ids counted from 1.
//   fmnist_export train|test [limit]
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<unsigned char> ReadGz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "fmnist_export: cannot open %s (apt-get install dataset-fashion-mnist)\n", path.c_str());
    std::exit(1);
  }
  std::vector<unsigned char> out;
  unsigned char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(f);
  return out;
}

unsigned BigEndian32(const unsigned char* p) { return unsigned(p[0]) << 24 | unsigned(p[1]) << 16 | unsigned(p[2]) << 8 | p[3]; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || (std::string(argv[1]) != "train" && std::string(argv[1]) != "test")) {
    std::fprintf(stderr, "usage: fmnist_export train|test [limit]\n");
    return 2;
  }
  std::string dir = "/usr/share/datasets/fashion-mnist/";
  std::string prefix = std::string(argv[1]) == "train" ? "train" : "t10k";
  auto images = ReadGz(dir + prefix + "-images-idx3-ubyte.gz");
  auto labels = ReadGz(dir + prefix + "-labels-idx1-ubyte.gz");
  unsigned count = BigEndian32(images.data() + 4);
  if (argc > 2) count = std::min<unsigned>(count, static_cast<unsigned>(std::atoi(argv[2])));
  std::string line;
  for (unsigned i = 0; i < count; ++i) {
    line = std::to_string(i + 1) + "\t" + std::to_string(labels[8 + i]) + "\t{";
    const unsigned char* px = images.data() + 16 + static_cast<size_t>(i) * 784;
    for (int j = 0; j < 784; ++j) {
      if (j) line.push_back(',');
      line += std::to_string(px[j]);
    }
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return 0;
}
