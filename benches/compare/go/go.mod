module kcertbench

go 1.19
