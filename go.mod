module everymeter

go 1.26.8
