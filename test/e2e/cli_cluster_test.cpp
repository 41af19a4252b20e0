// placeholder, written by the cluster e2e task
#include <gtest/gtest.h>
