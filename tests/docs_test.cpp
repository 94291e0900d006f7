// Every ```cpp block of docs/*.md appears verbatim (indentation and blank
// lines aside) in a file the test suite compiles: tests/orm_docs_examples.cpp
// (docs/orm.md, run on every backend), tests/docs_examples.cpp (the other
// snippets) or tests/docs_programs/*.cpp (complete programs, built as
// executables; the migrations one is run here).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Lines trimmed of surrounding blanks, empty lines dropped, joined by '\n'.
std::string normalized(const std::string& text) {
    std::istringstream in(text);
    std::string line, out;
    while (std::getline(in, line)) {
        auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos) continue;
        out += line.substr(first, line.find_last_not_of(" \t") - first + 1) + "\n";
    }
    return out;
}

// The ```language blocks of a page.
std::vector<std::string> code_blocks(const std::string& markdown, const std::string& language = "cpp") {
    const std::string fence = "\n```" + language + "\n";
    std::vector<std::string> blocks;
    std::size_t pos = 0;
    while ((pos = markdown.find(fence, pos)) != std::string::npos) {
        auto start = pos + fence.size();
        auto end = markdown.find("\n```", start);
        blocks.push_back(markdown.substr(start, end - start));
        pos = end;
    }
    return blocks;
}

// Everything the test suite compiles that the docs may quote, normalized.
std::string compiled_examples() {
    const std::filesystem::path tests = std::filesystem::path(STRATA_SOURCE_DIR) / "tests";
    std::string all = read_file((tests / "orm_docs_examples.cpp").string()) + read_file((tests / "docs_examples.cpp").string());
    for (const auto& e : std::filesystem::directory_iterator(tests / "docs_programs"))
        if (e.path().extension() == ".cpp") all += read_file(e.path().string());
    return normalized(all);
}

TEST(Docs, EveryCppBlockIsCompiledByTheTestSuite) {
    const std::string examples = compiled_examples();
    std::size_t pages = 0, blocks_seen = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(STRATA_SOURCE_DIR) / "docs")) {
        if (e.path().extension() != ".md") continue;
        ++pages;
        for (const auto& block : code_blocks(read_file(e.path().string()))) {
            ++blocks_seen;
            EXPECT_NE(examples.find(normalized(block)), std::string::npos)
                << "this block of docs/" << e.path().filename().string()
                << " is in no file the tests compile (tests/orm_docs_examples.cpp, tests/docs_examples.cpp, "
                   "tests/docs_programs/):\n"
                << block;
        }
    }
    EXPECT_GE(pages, 9u);
    EXPECT_GE(blocks_seen, 25u);
}

TEST(Docs, TheOrmGuideIsQuotedFromItsExamples) {
    auto blocks = code_blocks(read_file(std::string(STRATA_SOURCE_DIR) + "/docs/orm.md"));
    const std::string examples = normalized(read_file(std::string(STRATA_SOURCE_DIR) + "/tests/orm_docs_examples.cpp"));
    EXPECT_GE(blocks.size(), 10u);
    for (const auto& block : blocks)
        EXPECT_NE(examples.find(normalized(block)), std::string::npos)
            << "this block of docs/orm.md is not in tests/orm_docs_examples.cpp:\n" << block;
}

// docs/getting-started.md's CMake and Make lines are those of the consumer projects that
// tests/install_test.sh and tests/packaging_test.sh build.
TEST(Docs, TheWaysToUseStrataQuoteTheConsumerProjects) {
    const std::string tests = std::string(STRATA_SOURCE_DIR) + "/tests/";
    const std::string consumers = normalized(read_file(tests + "install_consumer/CMakeLists.txt") +
                                             read_file(tests + "install_consumer/Makefile") +
                                             read_file(tests + "subproject_consumer/CMakeLists.txt"));
    const std::string page = read_file(std::string(STRATA_SOURCE_DIR) + "/docs/getting-started.md");
    auto blocks = code_blocks(page, "cmake");
    EXPECT_GE(blocks.size(), 3u);  // find_package, FetchContent, add_subdirectory
    for (const auto& block : code_blocks(page, "make")) blocks.push_back(block);
    EXPECT_GE(blocks.size(), 4u);  // and pkg-config
    for (const auto& block : blocks)
        EXPECT_NE(consumers.find(normalized(block)), std::string::npos)
            << "this block of docs/getting-started.md is in no consumer project under tests/:\n" << block;
}

// docs/migrations.md's embedded command line, run as a user would: init,
// migrate, upgrade, then the application on the schema the migrations built.
class DocsEmbedding : public strata::testing::BackendTest {
protected:
    int run(const std::string& args, std::string* out = nullptr) {
        const auto log = dir().path() / "out.txt";
        const std::string cmd = "cd '" + dir().path().string() + "' && DATABASE_URL='" + url() + "' '" +
                                STRATA_DOCS_EMBEDDING_BIN + "' " + args + " > '" + log.string() + "' 2>&1";
        const int status = std::system(cmd.c_str());
        if (out) *out = read_file(log.string());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
};

TEST_P(DocsEmbedding, TheProgramMigratesThenRuns) {
    std::string out;
    ASSERT_EQ(run("db init", &out), 0) << out;
    ASSERT_EQ(run("db migrate -m initial", &out), 0) << out;
    EXPECT_NE(out.find("Detected "), std::string::npos) << out;
    ASSERT_EQ(run("db upgrade", &out), 0) << out;
    ASSERT_EQ(run("alice", &out), 0) << out;
    EXPECT_EQ(out, "1 users\n");
    ASSERT_EQ(run("db check", &out), 0) << out;
}

STRATA_INSTANTIATE_BACKENDS(DocsEmbedding);

}  // namespace
