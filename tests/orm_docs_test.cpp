// docs/orm.md: every ```cpp block appears verbatim (indentation aside) in
// tests/orm_docs_examples.cpp, which compiles and runs them.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

std::vector<std::string> cpp_blocks(const std::string& markdown) {
    std::vector<std::string> blocks;
    std::size_t pos = 0;
    while ((pos = markdown.find("\n```cpp\n", pos)) != std::string::npos) {
        auto start = pos + 8;
        auto end = markdown.find("\n```", start);
        blocks.push_back(markdown.substr(start, end - start));
        pos = end;
    }
    return blocks;
}

TEST(OrmDocsGuide, EveryCppBlockIsCompiledAndRunByTheExamples) {
    std::string guide = read_file(std::string(STRATA_SOURCE_DIR) + "/docs/orm.md");
    std::string examples = normalized(read_file(std::string(STRATA_SOURCE_DIR) + "/tests/orm_docs_examples.cpp"));
    ASSERT_FALSE(guide.empty());
    auto blocks = cpp_blocks(guide);
    EXPECT_GE(blocks.size(), 10u);
    for (const auto& block : blocks)
        EXPECT_NE(examples.find(normalized(block)), std::string::npos)
            << "this block of docs/orm.md is not in tests/orm_docs_examples.cpp:\n" << block;
}

}  // namespace
