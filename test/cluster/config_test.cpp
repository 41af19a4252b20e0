// placeholder, written by the cluster unit-test task
#include <gtest/gtest.h>
